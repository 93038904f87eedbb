// RunIndexWorker: a worker rank's side of `mer index` (DESIGN.md §3): the
// work protocol of coordinator/work_scheduler.h (steps 1, 3, 4) driven over
// a WorkerTransport, feeding an InferencePipeline.
//
// Loop, on the calling thread (the rank's only MPI thread):
//   * every finished track is sent at once: kTrackResult (payload:
//     worker/result_payload_encoder.h) or kTrackFailure with the reason;
//   * while fewer than `chunk_size` items are unfinished and no request is
//     outstanding, it asks for more: kRequestWork{chunk_size *
//     prefetch_chunks - unfinished} (prefetch: it asks before it runs dry);
//   * kWorkChunk items go into the pipeline; after kNoMoreWork, once every
//     item has been answered, it sends kWorkerDone and returns;
//   * a kHeartbeat{host} goes out at once and then every
//     `heartbeat_seconds`, whatever else is sent, so the coordinator can
//     tell a busy worker from a lost one (its stall inspector).
//
// Thread-safety: call from one thread; the pipeline's threads never touch
// the transport.
#ifndef MER_WORKER_INDEX_INDEX_WORKER_H_
#define MER_WORKER_INDEX_INDEX_WORKER_H_

#include <cstdint>

#include "common/comm/worker_transport.h"
#include "common/core/result.h"
#include "worker/index/inference_pipeline.h"

namespace mer::worker {

struct IndexWorkerOptions {
  // Must equal the coordinator's WorkSchedulerOptions. Default: 32, 2.
  size_t chunk_size = 32;
  size_t prefetch_chunks = 2;
  // Period of kHeartbeat, s. Default: 1
  double heartbeat_seconds = 1.0;
};

struct IndexWorkerSummary {
  uint64_t tracks_ok = 0;
  uint64_t tracks_failed = 0;
  double audio_seconds = 0;
};

// Fails only on a transport error or a protocol violation by the
// coordinator; failed tracks are reported, not returned.
core::Result<IndexWorkerSummary> RunIndexWorker(
    comm::WorkerTransport& transport, InferencePipeline& pipeline,
    const IndexWorkerOptions& options = {});

}  // namespace mer::worker

#endif  // MER_WORKER_INDEX_INDEX_WORKER_H_
