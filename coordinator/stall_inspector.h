// StallInspector: the coordinator's watch over its workers (after Horovod's
// stall inspector). Every worker sends kHeartbeat about once a second from
// its protocol loop, whatever its tracks are doing, so silence means a dead
// process, a hung rank or a lost node or link, never a slow track (a track
// that hangs is the per-track watchdog's business, worker side).
//
//  * A worker silent for `warn_seconds` is named in a warning, with its
//    rank, host and the tracks it holds; one warning per silence.
//  * Silent for `abort_seconds`, Check() fails with a message naming the
//    rank and host and saying how to resume; the coordinator writes what
//    it has and aborts the job (a lost MPI peer never comes back).
//  * Time the coordinator itself spent away from its loop (a long write)
//    is not counted against the workers.
//
// Written against plain time points so it is tested without MPI or sleeps.
// Thread-safety: not thread-safe; the coordinator's thread drives it.
#ifndef MER_COORDINATOR_STALL_INSPECTOR_H_
#define MER_COORDINATOR_STALL_INSPECTOR_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/core/status.h"

namespace mer::coordinator {

struct StallOptions {
  // Silence before a warning, s. Default: 4
  double warn_seconds = 4;
  // Silence before the job aborts, s; 0: never. Default: 10
  double abort_seconds = 10;
  // A gap between two Check() calls longer than this is the coordinator's
  // own absence and is forgiven, s. Default: 2
  double coordinator_gap_seconds = 2;

  [[nodiscard]] core::Status Validate() const;
};

class StallInspector {
 public:
  using Clock = std::chrono::steady_clock;

  // Worker w is MPI rank w + 1. Every worker counts as heard at `start`.
  StallInspector(int num_workers, const StallOptions& options,
                 Clock::time_point start);

  // Any message from `worker` at `now`.
  void Heard(int worker, Clock::time_point now);
  // The host named by the worker's heartbeat.
  void SetHost(int worker, const std::string& host);
  // The worker sent kWorkerDone: no longer watched.
  void Finished(int worker);

  // Logs warnings (through `warn`) and fails with Aborted once a worker has
  // been silent for abort_seconds. `held(w)` is how many tracks worker w
  // holds, for the messages.
  [[nodiscard]] core::Status Check(
      Clock::time_point now, const std::function<size_t(int)>& held,
      const std::function<void(const std::string&)>& warn);

  // "rank 3 on node-07" (host "?" until its first heartbeat).
  std::string Name(int worker) const;
  // "node-01 (ranks 1-2), node-02 (rank 3)", hosts in order of first rank.
  std::string HostSummary() const;
  // True once every worker has named its host.
  bool AllHostsKnown() const;

 private:
  struct Watch {
    Clock::time_point last_heard;
    std::string host;
    bool warned = false;
    bool finished = false;
  };
  StallOptions options_;
  std::vector<Watch> watch_;
  Clock::time_point last_check_;
};

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_STALL_INSPECTOR_H_
