#include "common/comm/worker_transport.h"

#include <algorithm>
#include <thread>

#include "common/comm/message_codec.h"

namespace mer::comm {

WorkerTransport::~WorkerTransport() = default;

core::Status MpiWorkerTransport::Send(const WorkMessage& message) {
  comm_->PollSends();
  return comm_->PostSend(0, TagOf(message),
                         MessageCodec::Encode(message));
}

core::Result<std::optional<WorkMessage>> MpiWorkerTransport::Receive(
    std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (comm_->IProbe(0, std::nullopt)) break;
    comm_->PollSends();
    if (Clock::now() >= deadline) return std::optional<WorkMessage>();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  ReceivedMessage raw = comm_->RecvBytes(0, std::nullopt);
  MER_ASSIGN_OR_RETURN(WorkMessage m,
                       MessageCodec::Decode(raw.bytes, raw.tag));
  return std::optional<WorkMessage>(std::move(m));
}

}  // namespace mer::comm
