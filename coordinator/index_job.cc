#include "coordinator/index_job.h"

#include <thread>

#include "common/comm/mpi_check.h"
#include "common/core/progress.h"
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
  // The end of the job. Rank 0 comes last (it writes the similarity graph
  // and themes first), so it alone bounds the wait: a worker whose host
  // lost its link after its last result would else hang the job here.
  const double bound = world.rank() == 0 ? options.stall.abort_seconds : 0;
  if (!world.BarrierWithin(bound)) {
    std::string hosts;  // rank 0 has the summary, with each worker's host
    for (size_t w = 0; summary && w < summary->per_worker.size(); ++w) {
      const std::string& host = summary->per_worker[w].host;
      hosts += (hosts.empty() ? "" : ", ") + std::string("rank ") +
               std::to_string(w + 1) + " on " + (host.empty() ? "?" : host);
    }
    AbortIndexJob(core::Status::Aborted(
                      "the end of the job",
                      "a worker did not reach it within " +
                          core::FormatDuration(bound) + " (--stall-abort; one of " + hosts +
                          " lost?); every result is written, so the same command "
                          "finds nothing left to do"),
                  0);
  }
  return summary;
}

}  // namespace mer::coordinator
