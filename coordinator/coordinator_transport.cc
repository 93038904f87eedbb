#include "coordinator/coordinator_transport.h"

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
  std::optional<comm::ReceivedMessage> raw =
      comm_->RecvBytesWithin(comm::kAnySource, timeout);
  if (!raw) return std::optional<IncomingMessage>();
  MER_ASSIGN_OR_RETURN(comm::WorkMessage m,
                       comm::MessageCodec::Decode(raw->bytes, raw->tag));
  return std::optional<IncomingMessage>(
      IncomingMessage{raw->source - 1, std::move(m)});
}

}  // namespace mer::coordinator
