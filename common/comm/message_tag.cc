#include "common/comm/message_tag.h"

namespace mer::comm {

std::string_view MessageTagName(MessageTag tag) {
  switch (tag) {
    case MessageTag::kRequestWork:
      return "request_work";
    case MessageTag::kWorkChunk:
      return "work_chunk";
    case MessageTag::kNoMoreWork:
      return "no_more_work";
    case MessageTag::kTrackResult:
      return "track_result";
    case MessageTag::kTrackFailure:
      return "track_failure";
    case MessageTag::kWorkerDone:
      return "worker_done";
    case MessageTag::kHeartbeat:
      return "heartbeat";
    case MessageTag::kControl:
      return "control";
    case MessageTag::kProgress:
      return "progress";
    case MessageTag::kTest:
      return "test";
  }
  return "unknown";
}

}  // namespace mer::comm
