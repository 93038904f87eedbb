// CoordinatorTransport: how the coordinator's job loop talks to its workers,
// as whole WorkMessages (common/comm/work_messages.h). Two implementations:
//   * MpiCoordinatorTransport: worker w is MPI rank w + 1 of a Communicator;
//     sends are posted (non-blocking, so the coordinator never blocks on a
//     worker that is itself blocked sending a result), receives poll
//     IProbe.
//   * an in-process channel for one-rank jobs (cli/index_command.cc), where
//     the worker runs on threads of the same process and no MPI message is
//     sent (DESIGN.md §1).
// The job loop (IndexCoordinator) is written against this interface only.
//
// Thread-safety: an instance is used by one thread (the coordinator's; with
// MPI the thread that makes every MPI call).
#ifndef MER_COORDINATOR_COORDINATOR_TRANSPORT_H_
#define MER_COORDINATOR_COORDINATOR_TRANSPORT_H_

#include <chrono>
#include <optional>

#include "common/comm/communicator.h"
#include "common/comm/work_messages.h"
#include "common/core/result.h"

namespace mer::coordinator {

struct IncomingMessage {
  int worker = -1;  // [0, num_workers)
  comm::WorkMessage message;
};

class CoordinatorTransport {
 public:
  virtual ~CoordinatorTransport();
  virtual int num_workers() const = 0;
  // Queues `message` for `worker`; does not wait for the worker.
  [[nodiscard]] virtual core::Status Send(int worker,
                                          const comm::WorkMessage& message) = 0;
  // The next message from any worker, waiting at most `timeout`; nullopt
  // when none came. Corruption for a message that does not decode.
  virtual core::Result<std::optional<IncomingMessage>> Receive(
      std::chrono::milliseconds timeout) = 0;
};

class MpiCoordinatorTransport : public CoordinatorTransport {
 public:
  // `comm` is not owned; rank 0 is this coordinator, ranks 1..size-1 are
  // workers 0..size-2.
  explicit MpiCoordinatorTransport(comm::Communicator* comm) : comm_(comm) {}
  int num_workers() const override { return comm_->size() - 1; }
  core::Status Send(int worker, const comm::WorkMessage& message) override;
  core::Result<std::optional<IncomingMessage>> Receive(
      std::chrono::milliseconds timeout) override;

 private:
  comm::Communicator* comm_;  // not owned
};

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_COORDINATOR_TRANSPORT_H_
