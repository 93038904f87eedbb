#include "coordinator/index_job.h"

#include <thread>

#include "common/comm/mpi_check.h"
#include "coordinator/local_channel.h"

namespace mer::coordinator {
namespace {

using Summary = std::optional<IndexJobSummary>;

// One rank: the coordinator on this thread, the worker on another.
core::Result<Summary> RunInProcess(const IndexJobOptions& options,
                                   const IndexWorkerFactory& open_worker) {
  MER_ASSIGN_OR_RETURN(std::unique_ptr<IndexCoordinator> coord,
                       IndexCoordinator::Open(options));
  MER_ASSIGN_OR_RETURN(std::unique_ptr<IndexWorkerRole> worker, open_worker());
  LocalChannel channel;
  core::Status worker_status;
  std::thread worker_thread([&] {
    worker_status = worker->Run(channel.worker_side());
    if (!worker_status.ok()) channel.Close();
  });
  core::Result<IndexJobSummary> summary =
      coord->Run(channel.coordinator_side());
  if (!summary.ok()) channel.Close();
  worker_thread.join();
  if (!summary.ok()) return summary.status();
  MER_RETURN_IF_ERROR(worker_status);
  return Summary(std::move(*summary));
}

// Every rank opens its role; all agree before anyone starts.
core::Status AgreeToStart(const core::Status& mine, comm::Communicator& world) {
  const std::vector<int64_t> failed = world.AllgatherInt64(mine.ok() ? 0 : 1);
  int bad = 0;
  for (int64_t f : failed) bad += static_cast<int>(f);
  if (!mine.ok()) {
    return world.rank() == 0
               ? mine
               : mine.WithContext("rank " + std::to_string(world.rank()));
  }
  if (bad == 0) return core::Status::Ok();
  if (world.rank() == 0) {
    return core::Status::Aborted(
        "index", std::to_string(bad) +
                     " worker rank(s) could not start (see their errors)");
  }
  return core::Status::Aborted("index", "another rank could not start");
}

[[noreturn]] void AbortIndexJob(const core::Status& s, int rank) {
  comm::AbortJob("mer index: error: " +
                 (rank == 0
                      ? s.message()
                      : "rank " + std::to_string(rank) + ": " + s.message()));
}

}  // namespace

IndexWorkerRole::~IndexWorkerRole() = default;

core::Result<Summary> RunIndexJob(const IndexJobOptions& options,
                                  comm::Communicator& world,
                                  const IndexWorkerFactory& open_worker) {
  if (world.size() == 1) return RunInProcess(options, open_worker);
  std::unique_ptr<IndexCoordinator> coord;
  std::unique_ptr<IndexWorkerRole> worker;
  core::Status start;
  if (world.rank() == 0) {
    auto c = IndexCoordinator::Open(options);
    if (c.ok())
      coord = std::move(*c);
    else
      start = c.status();
  } else {
    auto w = open_worker();
    if (w.ok())
      worker = std::move(*w);
    else
      start = w.status();
  }
  MER_RETURN_IF_ERROR(AgreeToStart(start, world));
  Summary summary;
  if (world.rank() == 0) {
    MpiCoordinatorTransport transport(&world);
    auto s = coord->Run(transport);
    if (!s.ok()) AbortIndexJob(s.status(), 0);
    summary = std::move(*s);
  } else {
    comm::MpiWorkerTransport transport(&world);
    core::Status s = worker->Run(transport);
    if (!s.ok()) AbortIndexJob(s, world.rank());
  }
  world.FlushSends();
  world.Barrier();
  return summary;
}

}  // namespace mer::coordinator
