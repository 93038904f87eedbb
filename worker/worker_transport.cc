#include "worker/worker_transport.h"

#include <algorithm>
#include <thread>

#include "common/comm/message_codec.h"

namespace mer::worker {

WorkerTransport::~WorkerTransport() = default;

core::Status MpiWorkerTransport::Send(const comm::WorkMessage& message) {
  comm_->PollSends();
  return comm_->PostSend(0, comm::TagOf(message),
                         comm::MessageCodec::Encode(message));
}

core::Result<std::optional<comm::WorkMessage>> MpiWorkerTransport::Receive(
    std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (comm_->IProbe(0, std::nullopt)) break;
    comm_->PollSends();
    if (Clock::now() >= deadline) return std::optional<comm::WorkMessage>();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  comm::ReceivedMessage raw = comm_->RecvBytes(0, std::nullopt);
  MER_ASSIGN_OR_RETURN(comm::WorkMessage m,
                       comm::MessageCodec::Decode(raw.bytes, raw.tag));
  return std::optional<comm::WorkMessage>(std::move(m));
}

}  // namespace mer::worker
