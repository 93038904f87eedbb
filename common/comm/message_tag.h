// Every MPI message tag mer uses, in one place. The coordinator<->worker
// protocol that uses the first seven is written down in
// coordinator/work_scheduler.h; their payloads are encoded by MessageCodec.
#ifndef MER_COMMON_COMM_MESSAGE_TAG_H_
#define MER_COMMON_COMM_MESSAGE_TAG_H_

#include <string_view>

namespace mer::comm {

enum class MessageTag : int {
  // Work protocol (coordinator/work_scheduler.h).
  kRequestWork = 1,   // worker -> coordinator: "I can take N more items"
  kWorkChunk = 2,     // coordinator -> worker: a chunk of work items
  kNoMoreWork = 3,    // coordinator -> worker: the catalogue is exhausted
  kTrackResult = 4,   // worker -> coordinator: one track's result blob
  kTrackFailure = 5,  // worker -> coordinator: one track failed, and why
  kWorkerDone = 6,    // worker -> coordinator: nothing left, worker exits
  kHeartbeat = 7,     // worker -> coordinator: alive, and on which host
  // Control plane of other jobs (training, extraction).
  kControl = 20,  // free-form control payload (JSON or protobuf bytes)
  kProgress = 21,  // rank -> rank 0: counts of its share of an extraction
  kTest = 99,     // reserved for tests of the transport
};

// "request_work", "work_chunk", ...; "unknown" for values not listed.
std::string_view MessageTagName(MessageTag tag);

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_MESSAGE_TAG_H_
