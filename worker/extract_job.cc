#include "worker/extract_job.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/core/progress.h"
#include "storage/feature_shard.h"

namespace mer::worker {
namespace fs = std::filesystem;

core::Status ExtractOptions::Validate() const {
  if (labels_csv.empty()) return core::Status::InvalidArgument("--data is required");
  if (out_dir.empty()) return core::Status::InvalidArgument("--out is required");
  if (threads < 0) return core::Status::InvalidArgument("--threads must be >= 0");
  return front_end.Validate();
}

core::Result<ExtractSummary> RunExtract(const ExtractOptions& options,
                                        comm::Communicator& comm) {
  MER_RETURN_IF_ERROR(options.Validate());
  const auto start = std::chrono::steady_clock::now();
  const int rank = comm.rank(), size = comm.size();
  MER_ASSIGN_OR_RETURN(core::LabelledSet set,
                       core::ReadLabels(options.labels_csv, options.labels));
  ExtractSummary summary;
  summary.tracks = static_cast<int64_t>(set.tracks.size());
  summary.front_end_digest = options.front_end.Digest();
  summary.labels_digest = set.Digest();

  // Rank 0 prepares the folder; the others wait so they never write into a
  // folder that is being cleaned.
  int64_t prepared = 1;
  if (rank == 0) {
    std::error_code ec;
    fs::create_directories(options.out_dir, ec);
    if (ec) {
      prepared = 0;
    } else {
      for (const auto& e : fs::directory_iterator(options.out_dir, ec)) {
        auto ext = e.path().extension();
        if (ext == ".mershard" || ext == ".tmp") fs::remove(e.path(), ec);
      }
    }
  }
  comm.AllreduceSum(&prepared, 1);
  if (prepared != size) {
    return core::Status::IOError(options.out_dir, "cannot create the folder");
  }

  std::vector<size_t> mine;
  for (size_t i = rank; i < set.tracks.size(); i += size) mine.push_back(i);
  MER_ASSIGN_OR_RETURN(
      auto writer,
      storage::FeatureShardWriter::Create(
          storage::ShardPath(options.out_dir, rank, size),
          options.front_end.n_mels, options.front_end.ToJson(),
          summary.front_end_digest,
          set.has_tags ? std::make_optional(set.tag_names) : std::nullopt));

  int threads = options.threads;
  if (threads == 0) {
    threads = std::max(1u, std::thread::hardware_concurrency()) /
              static_cast<unsigned>(std::max(1, size));
    threads = std::max(1, threads);
  }
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards writer, summary, write_status, progress
  core::Status write_status;
  core::ProgressOptions popts;
  popts.label = "extract";
  popts.enabled = options.progress && rank == 0;
  core::Progress progress(popts, static_cast<int64_t>(mine.size()));
  int64_t done = 0;
  auto work = [&] {
    dsp::LogMelExtractor extractor(options.front_end);
    for (size_t k; (k = next.fetch_add(1)) < mine.size();) {
      const core::LabelledTrack& t = set.tracks[mine[k]];
      auto f = ComputeTrackFeatures(t.path, extractor, options.track);
      std::lock_guard<std::mutex> lock(mu);
      if (!f.ok()) {
        spdlog::warn("{}: skipped: {}", t.track_id, f.status().message());
        summary.failures.push_back({t.track_id, t.path, f.status().message()});
      } else {
        storage::ShardTrack st;
        st.track_id = t.track_id;
        st.group = t.group;
        st.path = t.path;
        st.quadrant = t.quadrant;
        st.valence = t.valence;
        st.arousal = t.arousal;
        st.tags = t.tags;
        st.seconds = f->seconds;
        auto s = writer->Add(std::move(st), f->log_mel.data.data(),
                             f->log_mel.n_frames);
        if (!s.ok() && write_status.ok()) write_status = s;
        summary.audio_seconds += f->seconds;
        ++done;
      }
      progress.Update(done, static_cast<int64_t>(summary.failures.size()),
                      summary.audio_seconds);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  progress.Finish();
  core::Status finish = write_status.ok() ? writer->Finish() : write_status;

  // Every rank reports; a rank that could not write fails the job on all.
  int64_t counts[4] = {done, static_cast<int64_t>(summary.failures.size()),
                       finish.ok() ? 0 : 1,
                       static_cast<int64_t>(summary.audio_seconds * 1000)};
  comm.AllreduceSum(counts, 4);
  summary.extracted = counts[0];
  summary.failed = counts[1];
  summary.audio_seconds = counts[3] / 1000.0;
  if (!finish.ok()) return finish;
  if (counts[2] != 0) {
    return core::Status::IOError(options.out_dir, "another rank failed to write its shard");
  }

  // Failures travel to rank 0 as JSON lines; it writes the report.
  std::string lines;
  for (const auto& f : summary.failures) {
    lines += nlohmann::json{{"track_id", f.track_id}, {"path", f.path},
                            {"reason", f.reason}}
                 .dump() +
             "\n";
  }
  if (rank != 0) {
    MER_RETURN_IF_ERROR(comm.SendBytes(0, comm::MessageTag::kControl, lines));
  } else {
    std::ofstream out(fs::path(options.out_dir) / "failures.jsonl",
                      std::ios::trunc);
    out << lines;
    for (int r = 1; r < size; ++r) {
      out << comm.RecvBytes(r, comm::MessageTag::kControl).bytes;
    }
    summary.wall_seconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - start)
                               .count();
    nlohmann::json ds = {
        {"format", 1},
        {"labels_csv", options.labels_csv},
        {"labels_digest", summary.labels_digest},
        {"front_end", options.front_end.ToJson()},
        {"front_end_digest", summary.front_end_digest},
        {"shards", size},
        {"tracks", summary.tracks},
        {"extracted", summary.extracted},
        {"failed", summary.failed},
        {"audio_hours", summary.audio_seconds / 3600.0}};
    if (set.has_tags) ds["tag_names"] = set.tag_names;
    std::ofstream(fs::path(options.out_dir) / "dataset.json", std::ios::trunc)
        << ds.dump(2) << "\n";
    if (!out) return core::Status::IOError(options.out_dir, "cannot write failures.jsonl");
  }
  comm.Barrier();
  return summary;
}

}  // namespace mer::worker
