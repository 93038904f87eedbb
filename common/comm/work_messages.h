// The messages of the coordinator<->worker work protocol (the protocol itself
// is written down in coordinator/work_scheduler.h). Plain values; their wire
// form is MessageCodec's. A track's result travels as opaque bytes: its
// schema (a serialized TrackResult record) belongs to storage/ and proto/.
#ifndef MER_COMMON_COMM_WORK_MESSAGES_H_
#define MER_COMMON_COMM_WORK_MESSAGES_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/comm/message_tag.h"
#include "common/comm/work_item.h"

namespace mer::comm {

// worker -> coordinator: the worker can take up to `capacity` more items.
struct RequestWork {
  uint32_t capacity = 0;
  friend bool operator==(const RequestWork&, const RequestWork&) = default;
};

// coordinator -> worker: items to process, in order.
struct WorkChunk {
  std::vector<WorkItem> items;
  friend bool operator==(const WorkChunk&, const WorkChunk&) = default;
};

// coordinator -> worker: no item will ever be handed out again.
struct NoMoreWork {
  friend bool operator==(const NoMoreWork&, const NoMoreWork&) = default;
};

// worker -> coordinator: one track done; `payload` is opaque bytes.
struct TrackResult {
  std::string track_id;
  uint64_t seq = 0;
  std::string payload;
  friend bool operator==(const TrackResult&, const TrackResult&) = default;
};

// worker -> coordinator: one track failed; `reason` says why, with the file.
struct TrackFailure {
  std::string track_id;
  uint64_t seq = 0;
  std::string reason;
  friend bool operator==(const TrackFailure&, const TrackFailure&) = default;
};

// worker -> coordinator: the worker has nothing left and will exit.
struct WorkerDone {
  uint64_t tracks_ok = 0;
  uint64_t tracks_failed = 0;
  uint64_t cpu_ms = 0;  // the worker process's CPU time (user + system)
  friend bool operator==(const WorkerDone&, const WorkerDone&) = default;
};

// worker -> coordinator, every second or so whatever else it sends: the
// worker's protocol loop is alive and its link up. The first one names the
// worker's host for the coordinator's log and stall messages.
struct Heartbeat {
  std::string host;
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

using WorkMessage = std::variant<RequestWork, WorkChunk, NoMoreWork,
                                 TrackResult, TrackFailure, WorkerDone,
                                 Heartbeat>;

// The MPI tag a message travels under.
MessageTag TagOf(const WorkMessage& message);

}  // namespace mer::comm

#endif  // MER_COMMON_COMM_WORK_MESSAGES_H_
