// RankProgress: one progress line, on rank 0, over every rank's share of a
// parallel extraction (`mer extract`, training's on-the-fly extraction), so
// that the line counts all tracks, not rank 0's share. The other ranks post
// their counts to rank 0 (MessageTag::kProgress, at most one a second, and
// a last one); rank 0 sums them whenever its own counts come in.
//
//   RankProgress progress(comm, set.tracks.size(), "extract", enabled);
//   options.on_counts = progress.Callback();
//   ComputeFeaturesInParallel(paths, options, comm.size(), sink);
//   progress.Finish();   // rank 0 waits for every rank's last counts
//
// Every rank of `comm` must make one, with the same `enabled`, and call
// Finish (the destructor does when it was not called, so an early error
// return on one rank never leaves rank 0 waiting). Disabled, it sends
// nothing and prints nothing. Thread-safety: the calling thread only (MPI
// funnelled); the callback is called there by ComputeFeaturesInParallel.
#ifndef MER_WORKER_RANK_PROGRESS_H_
#define MER_WORKER_RANK_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/core/progress.h"
#include "worker/parallel_features.h"

namespace mer::worker {

class RankProgress {
 public:
  // `total`: the tracks of all ranks.
  RankProgress(comm::Communicator& comm, int64_t total, std::string label,
               bool enabled);
  ~RankProgress();
  RankProgress(const RankProgress&) = delete;
  RankProgress& operator=(const RankProgress&) = delete;

  // This rank's counts so far; `final` once its share is done.
  void OnCounts(const FeatureCounts& counts, bool final);
  // For ParallelFeatureOptions::on_counts.
  std::function<void(const FeatureCounts&, bool)> Callback();
  // Other ranks: post the last counts (if not yet). Rank 0: wait for every
  // rank's last counts and print the final line.
  void Finish();

 private:
  void Post(const FeatureCounts& counts, bool final);
  // Rank 0: takes the counts waiting; with `wait`, until every rank's last.
  void Receive(bool wait);
  void Show();

  comm::Communicator& comm_;
  const bool enabled_;
  bool finished_ = false;
  bool sent_final_ = false;
  std::chrono::steady_clock::time_point last_post_{};
  FeatureCounts last_;                // other ranks: the latest counts
  std::vector<FeatureCounts> ranks_;  // rank 0: each rank's latest
  std::vector<bool> final_;           // rank 0: each rank's last came in
  std::unique_ptr<core::Progress> line_;  // rank 0
};

}  // namespace mer::worker

#endif  // MER_WORKER_RANK_PROGRESS_H_
