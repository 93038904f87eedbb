#include "coordinator/local_channel.h"

#include <utility>

namespace mer::coordinator {

LocalChannel::LocalChannel() : coordinator_side_(this), worker_side_(this) {}

void LocalChannel::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

core::Status LocalChannel::Push(Queue* q, const comm::WorkMessage& m) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return core::Status::Aborted("index: the other side stopped");
    q->push_back(m);
  }
  cv_.notify_all();
  return core::Status::Ok();
}

core::Result<std::optional<comm::WorkMessage>> LocalChannel::Pop(
    Queue* q, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || !q->empty(); });
  if (!q->empty()) {
    comm::WorkMessage m = std::move(q->front());
    q->pop_front();
    return std::optional<comm::WorkMessage>(std::move(m));
  }
  if (closed_) return core::Status::Aborted("index: the other side stopped");
  return std::optional<comm::WorkMessage>();
}

core::Status LocalChannel::CoordinatorSide::Send(int /*worker*/,
                                                 const comm::WorkMessage& m) {
  return c_->Push(&c_->to_worker_, m);
}

core::Result<std::optional<IncomingMessage>>
LocalChannel::CoordinatorSide::Receive(std::chrono::milliseconds timeout) {
  MER_ASSIGN_OR_RETURN(auto m, c_->Pop(&c_->to_coordinator_, timeout));
  if (!m) return std::optional<IncomingMessage>();
  return std::optional<IncomingMessage>(IncomingMessage{0, std::move(*m)});
}

core::Status LocalChannel::WorkerSide::Send(const comm::WorkMessage& m) {
  return c_->Push(&c_->to_coordinator_, m);
}

core::Result<std::optional<comm::WorkMessage>>
LocalChannel::WorkerSide::Receive(std::chrono::milliseconds timeout) {
  return c_->Pop(&c_->to_worker_, timeout);
}

}  // namespace mer::coordinator
