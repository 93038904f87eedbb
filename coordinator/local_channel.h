// LocalChannel: the transport of a one-rank job (DESIGN.md §1), where the
// coordinator and its single worker run in one process and exchange
// WorkMessages through two queues; no MPI message is sent. Either side
// closing the channel (it failed) wakes the other with Aborted, so neither
// waits forever.
//
//   LocalChannel channel;
//   std::thread worker([&] { RunWorker(channel.worker_side()); });
//   coordinator.Run(channel.coordinator_side());
//
// Thread-safety: each side is used by one thread; the queues are guarded by
// one mutex.
#ifndef MER_COORDINATOR_LOCAL_CHANNEL_H_
#define MER_COORDINATOR_LOCAL_CHANNEL_H_

#include <condition_variable>
#include <deque>
#include <mutex>

#include "common/comm/worker_transport.h"
#include "coordinator/coordinator_transport.h"

namespace mer::coordinator {

class LocalChannel {
 public:
  LocalChannel();
  LocalChannel(const LocalChannel&) = delete;
  LocalChannel& operator=(const LocalChannel&) = delete;

  CoordinatorTransport& coordinator_side() { return coordinator_side_; }
  comm::WorkerTransport& worker_side() { return worker_side_; }
  // Wakes both sides; every later Send and empty Receive is Aborted.
  void Close();

 private:
  using Queue = std::deque<comm::WorkMessage>;

  class CoordinatorSide : public CoordinatorTransport {
   public:
    explicit CoordinatorSide(LocalChannel* c) : c_(c) {}
    int num_workers() const override { return 1; }
    core::Status Send(int worker, const comm::WorkMessage& m) override;
    core::Result<std::optional<IncomingMessage>> Receive(
        std::chrono::milliseconds timeout) override;

   private:
    LocalChannel* c_;
  };
  class WorkerSide : public comm::WorkerTransport {
   public:
    explicit WorkerSide(LocalChannel* c) : c_(c) {}
    core::Status Send(const comm::WorkMessage& m) override;
    core::Result<std::optional<comm::WorkMessage>> Receive(
        std::chrono::milliseconds timeout) override;

   private:
    LocalChannel* c_;
  };

  core::Status Push(Queue* q, const comm::WorkMessage& m);
  core::Result<std::optional<comm::WorkMessage>> Pop(
      Queue* q, std::chrono::milliseconds timeout);

  std::mutex mu_;  // guards both queues and closed_
  std::condition_variable cv_;
  Queue to_coordinator_, to_worker_;
  bool closed_ = false;
  CoordinatorSide coordinator_side_;
  WorkerSide worker_side_;
};

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_LOCAL_CHANNEL_H_
