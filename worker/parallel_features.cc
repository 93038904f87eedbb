#include "worker/parallel_features.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/core/progress.h"

namespace mer::worker {

void ComputeFeaturesInParallel(const std::vector<std::string>& paths,
                               const ParallelFeatureOptions& options,
                               int ranks_on_node, const FeatureSink& sink) {
  int threads = options.threads;
  if (threads <= 0) {
    threads =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) /
        std::max(1, ranks_on_node);
  }
  threads = std::max(1, threads);
  core::ProgressOptions popts;
  popts.label = options.label;
  popts.enabled = options.progress && !options.on_counts;
  core::Progress progress(popts, static_cast<int64_t>(paths.size()));
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards everything below, the sink and the progress line
  std::condition_variable room;  // `emitted` moved on
  size_t emitted = 0;            // the next index the sink gets
  std::map<size_t, core::Result<TrackFeatures>> ready;  // done, waiting
  const size_t window = 4 * static_cast<size_t>(threads);
  int64_t done = 0, failed = 0;
  double audio = 0;
  int working = 0;  // threads still taking tracks
  std::condition_variable changed;  // a track done, or a thread finished
  auto work = [&] {
    dsp::FeatureExtractor extractor({options.front_end, options.descriptors});
    for (size_t k; (k = next.fetch_add(1)) < paths.size();) {
      {
        // At most `window` tracks ahead of the sink, so a slow track never
        // makes the others pile up in memory.
        std::unique_lock<std::mutex> lock(mu);
        room.wait(lock, [&] { return k < emitted + window; });
      }
      core::Result<TrackFeatures> f =
          ComputeTrackFeatures(paths[k], extractor, options.track);
      std::lock_guard<std::mutex> lock(mu);
      if (f.ok()) {
        ++done;
        audio += f->seconds;
      } else {
        ++failed;
      }
      ready.emplace(k, std::move(f));
      while (!ready.empty() && ready.begin()->first == emitted) {
        sink(emitted, std::move(ready.begin()->second));
        ready.erase(ready.begin());
        ++emitted;
      }
      room.notify_all();
      progress.Update(done, failed, audio);
    }
  };
  if (!options.on_counts) {
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    progress.Finish();
    return;
  }
  // The calling thread watches and reports; `threads` threads decode.
  auto counts = [&] {
    FeatureCounts c;
    c.done = done;
    c.failed = failed;
    c.audio_seconds = audio;
    return c;
  };
  std::vector<std::thread> pool;
  working = threads;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      work();
      std::lock_guard<std::mutex> lock(mu);
      --working;
      changed.notify_all();
    });
  }
  for (;;) {
    FeatureCounts c;
    bool finished = false;
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait_for(lock, std::chrono::milliseconds(500),
                       [&] { return working == 0; });
      finished = working == 0;
      c = counts();
    }
    if (finished) break;
    options.on_counts(c, false);
  }
  for (auto& th : pool) th.join();
  options.on_counts(counts(), true);
}

}  // namespace mer::worker
