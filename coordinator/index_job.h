// RunIndexJob: `mer index` on every rank (DESIGN.md §3). Rank 0 runs the
// IndexCoordinator; every other rank runs the worker role it is given. With
// one rank both run in this process, the worker on a thread of its own,
// over a LocalChannel (no MPI message).
//
// The worker role comes in from outside (the CLI wires worker/index/'s
// inference pipeline in), so the coordinator never depends on a model.
//
// Failures:
//  * before the start, every rank opens what it needs and all agree; if any
//    failed, every rank returns an error (the rank that failed says why,
//    the others return Aborted);
//  * after the start, a one-rank job returns the error; with several ranks
//    the failing rank ends the whole job through comm::AbortJob (the others
//    would otherwise wait for it).
//
// Collective: every rank of `world` calls it.
#ifndef MER_COORDINATOR_INDEX_JOB_H_
#define MER_COORDINATOR_INDEX_JOB_H_

#include <functional>
#include <memory>
#include <optional>

#include "common/comm/communicator.h"
#include "common/comm/worker_transport.h"
#include "common/core/result.h"
#include "coordinator/index_coordinator.h"

namespace mer::coordinator {

// A worker rank's part of the job: serves the work protocol
// (work_scheduler.h, steps 1, 3, 4) until the coordinator has no more work.
class IndexWorkerRole {
 public:
  virtual ~IndexWorkerRole();
  virtual core::Status Run(comm::WorkerTransport& transport) = 0;
};

// Opens a worker role (loads the model, starts its threads).
using IndexWorkerFactory =
    std::function<core::Result<std::unique_ptr<IndexWorkerRole>>()>;

// On rank 0 the job's summary; on the other ranks nullopt.
core::Result<std::optional<IndexJobSummary>> RunIndexJob(
    const IndexJobOptions& options, comm::Communicator& world,
    const IndexWorkerFactory& open_worker);

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_INDEX_JOB_H_
