#include "common/comm/worker_transport.h"

#include "common/comm/message_codec.h"

namespace mer::comm {

WorkerTransport::~WorkerTransport() = default;

core::Status MpiWorkerTransport::Send(const WorkMessage& message) {
  comm_->PollSends();
  return comm_->PostSend(0, TagOf(message), MessageCodec::Encode(message));
}

core::Result<std::optional<WorkMessage>> MpiWorkerTransport::Receive(
    std::chrono::milliseconds timeout) {
  std::optional<ReceivedMessage> raw = comm_->RecvBytesWithin(0, timeout);
  if (!raw) return std::optional<WorkMessage>();
  MER_ASSIGN_OR_RETURN(WorkMessage m,
                       MessageCodec::Decode(raw->bytes, raw->tag));
  return std::optional<WorkMessage>(std::move(m));
}

}  // namespace mer::comm
