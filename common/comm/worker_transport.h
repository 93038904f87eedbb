// WorkerTransport: how a worker's protocol loop (index_worker.h) talks to the
// coordinator, as whole WorkMessages. MpiWorkerTransport sends to and
// receives from rank 0 of a Communicator; one-rank jobs use an in-process
// channel instead (coordinator/local_channel.h).
//
// Thread-safety: an instance is used by one thread (the rank's MPI thread).
#ifndef MER_COMMON_COMM_WORKER_TRANSPORT_H_
#define MER_COMMON_COMM_WORKER_TRANSPORT_H_

#include <chrono>
#include <optional>

#include "common/comm/communicator.h"
#include "common/comm/work_messages.h"
#include "common/core/result.h"

namespace mer::comm {

class WorkerTransport {
 public:
  virtual ~WorkerTransport();
  // Sends `message` to the coordinator (may return before it is received).
  [[nodiscard]] virtual core::Status Send(const WorkMessage& message) = 0;
  // The next message from the coordinator, waiting at most `timeout`;
  // nullopt when none came.
  virtual core::Result<std::optional<WorkMessage>> Receive(
      std::chrono::milliseconds timeout) = 0;
};

class MpiWorkerTransport : public WorkerTransport {
 public:
  // `comm` is not owned; the coordinator is rank 0.
  explicit MpiWorkerTransport(Communicator* comm) : comm_(comm) {}
  core::Status Send(const WorkMessage& message) override;
  core::Result<std::optional<WorkMessage>> Receive(
      std::chrono::milliseconds timeout) override;

 private:
  Communicator* comm_;  // not owned
};

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_WORKER_TRANSPORT_H_
