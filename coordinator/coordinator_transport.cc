#include "coordinator/coordinator_transport.h"

#include <thread>

#include "common/comm/message_codec.h"

namespace mer::coordinator {

CoordinatorTransport::~CoordinatorTransport() = default;

core::Status MpiCoordinatorTransport::Send(int worker,
                                           const comm::WorkMessage& message) {
  comm_->PollSends();
  return comm_->PostSend(worker + 1, comm::TagOf(message),
                         comm::MessageCodec::Encode(message));
}

core::Result<std::optional<IncomingMessage>> MpiCoordinatorTransport::Receive(
    std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (comm_->IProbe(comm::kAnySource, std::nullopt)) break;
    comm_->PollSends();
    if (Clock::now() >= deadline) return std::optional<IncomingMessage>();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  comm::ReceivedMessage raw = comm_->RecvBytes(comm::kAnySource, std::nullopt);
  MER_ASSIGN_OR_RETURN(comm::WorkMessage m,
                       comm::MessageCodec::Decode(raw.bytes, raw.tag));
  return std::optional<IncomingMessage>(
      IncomingMessage{raw.source - 1, std::move(m)});
}

}  // namespace mer::coordinator
