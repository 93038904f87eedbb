// WorkScheduler: the coordinator's pull scheduling of work items (DESIGN.md
// §3), written against small interfaces so it is tested without MPI
// (CONVENTIONS rule 12). The driver feeds it events and sends the replies it
// produces; it never touches MPI itself.
//
// The coordinator<->worker protocol (tags in common/comm/message_tag.h,
// payloads in common/comm/work_messages.h, wire form MessageCodec):
//
//  1. A worker sends kRequestWork{capacity} when its local queue of
//     unfinished items drops below one chunk (prefetch: it asks before it
//     runs dry) and it has no request outstanding. `capacity` is how many
//     more items it can hold: chunk_size * prefetch_chunks minus its queue.
//     A worker has at most one request outstanding.
//  2. The coordinator answers each request with exactly one reply:
//     kWorkChunk{items} (at most min(capacity, chunk) items, first the
//     items re-queued from lost workers, then fresh ones pulled from the
//     catalogue), or kNoMoreWork once the catalogue is exhausted, nothing is
//     re-queued, and no other worker holds items that could come back. The
//     reply may be deferred: while others still hold items, or while the
//     worker would hold more than prefetch_chunks chunks (its results are
//     still on the way), the request waits in the scheduler.
//
// Chunk size (guided self-scheduling, Polychronopoulos & Kuck 1987): the
// scheduler reads ahead of the catalogue by at most num_workers *
// chunk_size * prefetch_chunks items, so near the end it knows how many
// items are left, R. A chunk is ceil(R / (active workers *
// prefetch_chunks)) items, at most chunk_size: full chunks while the
// catalogue is large, then smaller and smaller ones, down to single tracks
// at the tail, so no worker is handed the last big chunk while the others
// idle. A worker gets a chunk only while it holds at most
// (prefetch_chunks - 1) chunks of the current size.
//  3. The worker streams one kTrackResult{track_id, payload} or
//     kTrackFailure{track_id, reason} per item as each finishes; the order
//     is free. A failed track is a result like any other: it is done.
//  4. After kNoMoreWork, when its queue is empty, the worker sends
//     kWorkerDone{counts} and leaves the protocol.
//  5. The coordinator ends when every worker has sent kWorkerDone (and
//     Done() is true: nothing re-queued, nothing in flight).
//
// With one rank, the coordinator and its single worker run in one process
// over this same interface: the driver calls OnRequest/OnResult directly
// and hands TakeReplies() to the in-process worker; no MPI message is sent.
//
// Memory: the catalogue is never held in memory. The scheduler holds at most
// the read-ahead and the in-flight items (each at most num_workers *
// chunk_size * prefetch_chunks) plus the re-queued ones.
//
// Thread-safety: not thread-safe; one thread (the coordinator's MPI thread)
// drives it.
#ifndef MER_COORDINATOR_WORK_SCHEDULER_H_
#define MER_COORDINATOR_WORK_SCHEDULER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/comm/work_item.h"
#include "common/core/status.h"

namespace mer::coordinator {

using comm::WorkItem;

// A pull-based stream of work items (a catalogue scan, a manifest reader).
class WorkSource {
 public:
  virtual ~WorkSource();
  // The next item, or nullopt once the stream is exhausted. After the first
  // nullopt the scheduler does not call Next() again. Items are pulled
  // ahead of need (read-ahead, see the header comment).
  virtual std::optional<WorkItem> Next() = 0;
};

struct WorkSchedulerOptions {
  // Largest chunk handed to a worker. Larger chunks mean fewer messages
  // (100 M tracks); the tail is balanced by smaller chunks whatever this
  // is (guided self-scheduling, see above). Default: 32.
  size_t chunk_size = 32;
  // Chunks a worker may hold at once (the one it works on plus prefetched
  // ones). In-flight items per worker are bounded by
  // chunk_size * prefetch_chunks. Default: 2.
  size_t prefetch_chunks = 2;

  size_t max_in_flight_per_worker() const {
    return chunk_size * prefetch_chunks;
  }
  [[nodiscard]] core::Status Validate() const;
};

// One answer to one request (protocol step 2).
struct WorkReply {
  int worker = -1;
  bool no_more_work = false;    // true: kNoMoreWork, `items` is empty
  std::vector<WorkItem> items;  // kWorkChunk, never empty
};

class WorkScheduler {
 public:
  // `source` is not owned and must outlive the scheduler. Workers are
  // numbered [0, num_workers); the driver maps ranks to them. `options`
  // must be valid (Validate()); invalid options or num_workers < 1 abort.
  WorkScheduler(WorkSource* source, int num_workers,
                WorkSchedulerOptions options);

  WorkScheduler(const WorkScheduler&) = delete;
  WorkScheduler& operator=(const WorkScheduler&) = delete;

  // Protocol step 1: `worker` asks for up to `capacity` more items. The
  // reply, possibly deferred, comes out of TakeReplies(). InvalidArgument
  // for an unknown or lost worker, capacity 0, or a second request while
  // one is outstanding. A request after kNoMoreWork is answered with
  // kNoMoreWork again.
  [[nodiscard]] core::Status OnRequest(int worker, size_t capacity);

  // Protocol step 3: `track_id`, in flight on `worker`, is finished
  // (succeeded or failed). NotFound when that worker does not hold the
  // track (a duplicate, or a late result from a worker declared lost).
  [[nodiscard]] core::Status OnResult(int worker, std::string_view track_id);

  // The worker is gone (its rank died or timed out): its unfinished items
  // are re-queued and handed to other workers before any fresh item.
  // Later events from it are rejected. InvalidArgument for an unknown or
  // already lost worker.
  [[nodiscard]] core::Status OnWorkerLost(int worker);

  // The replies produced by the events so far, oldest first; the driver
  // sends each to its worker. Clears the outbox.
  std::vector<WorkReply> TakeReplies();

  // True when the source is exhausted, nothing is re-queued and no item is
  // in flight: every item handed out has come back.
  bool Done() const;

  // Counters, for progress reports and tests.
  size_t in_flight() const { return total_in_flight_; }
  size_t in_flight(int worker) const;
  size_t requeued() const { return requeue_.size(); }
  size_t read_ahead() const { return ahead_.size(); }  // pulled, not handed
  uint64_t pulled() const { return pulled_; }        // items from the source
  // The chunk size a request would get now (guided self-scheduling).
  size_t CurrentChunk() const;
  uint64_t completed() const { return completed_; }  // OnResult accepted
  int active_workers() const;                        // not lost

 private:
  struct WorkerState {
    // Unfinished items by track id (a multimap: a duplicated id in the
    // catalogue is tracked per copy instead of being lost).
    std::unordered_multimap<std::string, WorkItem> in_flight;
    std::optional<size_t> pending_capacity;  // outstanding request
    bool lost = false;
    bool told_no_more_work = false;
  };

  core::Status CheckWorker(int worker, const char* event) const;
  // Answers every pending request that can be answered now.
  void Serve();
  // Tops the read-ahead up to its bound.
  void ReadAhead();
  // Takes up to n items: re-queued first, then the read-ahead.
  std::vector<WorkItem> Take(size_t n);
  bool OthersHoldItems(int worker) const;

  WorkSource* source_;  // not owned
  const WorkSchedulerOptions options_;
  std::vector<WorkerState> workers_;
  std::deque<int> pending_;  // workers with a request waiting, FIFO
  std::deque<WorkItem> requeue_;
  std::deque<WorkItem> ahead_;  // pulled from the source, not handed out
  size_t ahead_limit_ = 0;
  std::vector<WorkReply> outbox_;
  bool source_dry_ = false;
  size_t total_in_flight_ = 0;
  uint64_t pulled_ = 0;
  uint64_t completed_ = 0;
};

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_WORK_SCHEDULER_H_
