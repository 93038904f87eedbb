#include "coordinator/work_scheduler.h"

#include <algorithm>
#include <utility>

#include "common/core/check.h"

namespace mer::coordinator {

WorkSource::~WorkSource() = default;

core::Status WorkSchedulerOptions::Validate() const {
  if (chunk_size == 0) {
    return core::Status::InvalidArgument("chunk_size", "must be at least 1");
  }
  if (prefetch_chunks == 0) {
    return core::Status::InvalidArgument("prefetch_chunks",
                                         "must be at least 1");
  }
  if (chunk_size > (size_t{1} << 20)) {
    return core::Status::InvalidArgument(
        "chunk_size", std::to_string(chunk_size) + " exceeds 1048576");
  }
  return core::Status::Ok();
}

WorkScheduler::WorkScheduler(WorkSource* source, int num_workers,
                             WorkSchedulerOptions options)
    : source_(source), options_(options) {
  MER_CHECK(source_ != nullptr);
  MER_CHECK(num_workers >= 1);
  MER_CHECK_MSG(options_.Validate().ok(),
                "WorkSchedulerOptions must be validated by the caller");
  workers_.resize(static_cast<size_t>(num_workers));
  ahead_limit_ = static_cast<size_t>(num_workers) *
                 options_.max_in_flight_per_worker();
}

core::Status WorkScheduler::CheckWorker(int worker, const char* event) const {
  if (worker < 0 || worker >= static_cast<int>(workers_.size())) {
    return core::Status::InvalidArgument(
        event, "worker " + std::to_string(worker) + " is outside [0, " +
                   std::to_string(workers_.size()) + ")");
  }
  if (workers_[worker].lost) {
    return core::Status::InvalidArgument(
        event, "worker " + std::to_string(worker) + " was declared lost");
  }
  return core::Status::Ok();
}

core::Status WorkScheduler::OnRequest(int worker, size_t capacity) {
  MER_RETURN_IF_ERROR(CheckWorker(worker, "work request"));
  WorkerState& state = workers_[worker];
  if (capacity == 0) {
    return core::Status::InvalidArgument(
        "work request",
        "worker " + std::to_string(worker) + " asked for 0 items");
  }
  if (state.pending_capacity) {
    return core::Status::InvalidArgument(
        "work request", "worker " + std::to_string(worker) +
                            " already has a request outstanding");
  }
  if (state.told_no_more_work) {
    outbox_.push_back(WorkReply{worker, /*no_more_work=*/true, {}});
    return core::Status::Ok();
  }
  state.pending_capacity = capacity;
  pending_.push_back(worker);
  Serve();
  return core::Status::Ok();
}

core::Status WorkScheduler::OnResult(int worker, std::string_view track_id) {
  MER_RETURN_IF_ERROR(CheckWorker(worker, "track result"));
  WorkerState& state = workers_[worker];
  auto it = state.in_flight.find(std::string(track_id));
  if (it == state.in_flight.end()) {
    return core::Status::NotFound("track result",
                                  "track '" + std::string(track_id) +
                                      "' is not in flight on worker " +
                                      std::to_string(worker));
  }
  state.in_flight.erase(it);
  --total_in_flight_;
  ++completed_;
  Serve();
  return core::Status::Ok();
}

core::Status WorkScheduler::OnWorkerLost(int worker) {
  MER_RETURN_IF_ERROR(CheckWorker(worker, "worker lost"));
  WorkerState& state = workers_[worker];
  state.lost = true;
  state.pending_capacity.reset();
  pending_.erase(std::remove(pending_.begin(), pending_.end(), worker),
                 pending_.end());
  // Re-queue in catalogue order, ahead of anything re-queued later.
  std::vector<WorkItem> orphans;
  orphans.reserve(state.in_flight.size());
  for (auto& [id, item] : state.in_flight) orphans.push_back(std::move(item));
  std::sort(orphans.begin(), orphans.end(),
            [](const WorkItem& a, const WorkItem& b) { return a.seq < b.seq; });
  total_in_flight_ -= orphans.size();
  state.in_flight.clear();
  for (auto& item : orphans) requeue_.push_back(std::move(item));
  Serve();
  return core::Status::Ok();
}

std::vector<WorkReply> WorkScheduler::TakeReplies() {
  return std::exchange(outbox_, {});
}

bool WorkScheduler::Done() const {
  return source_dry_ && requeue_.empty() && ahead_.empty() &&
         total_in_flight_ == 0;
}

size_t WorkScheduler::in_flight(int worker) const {
  MER_CHECK(worker >= 0 && worker < static_cast<int>(workers_.size()));
  return workers_[worker].in_flight.size();
}

int WorkScheduler::active_workers() const {
  return static_cast<int>(
      std::count_if(workers_.begin(), workers_.end(),
                    [](const WorkerState& w) { return !w.lost; }));
}

void WorkScheduler::ReadAhead() {
  while (ahead_.size() < ahead_limit_ && !source_dry_) {
    std::optional<WorkItem> item = source_->Next();
    if (!item) {
      source_dry_ = true;
      break;
    }
    ++pulled_;
    ahead_.push_back(std::move(*item));
  }
}

size_t WorkScheduler::CurrentChunk() const {
  // R is exact once the source is dry; before that the read-ahead is full
  // and R / (workers * prefetch) is at least chunk_size anyway.
  const size_t remaining = requeue_.size() + ahead_.size();
  const size_t slots =
      static_cast<size_t>(std::max(1, active_workers())) *
      options_.prefetch_chunks;
  const size_t guided = (remaining + slots - 1) / slots;
  return std::clamp<size_t>(guided, 1, options_.chunk_size);
}

std::vector<WorkItem> WorkScheduler::Take(size_t n) {
  std::vector<WorkItem> items;
  items.reserve(n);
  while (items.size() < n && !requeue_.empty()) {
    items.push_back(std::move(requeue_.front()));
    requeue_.pop_front();
  }
  while (items.size() < n && !ahead_.empty()) {
    items.push_back(std::move(ahead_.front()));
    ahead_.pop_front();
  }
  return items;
}

bool WorkScheduler::OthersHoldItems(int worker) const {
  for (size_t w = 0; w < workers_.size(); ++w) {
    if (static_cast<int>(w) != worker && !workers_[w].in_flight.empty()) {
      return true;
    }
  }
  return false;
}

void WorkScheduler::Serve() {
  std::deque<int> still_waiting;
  while (!pending_.empty()) {
    const int worker = pending_.front();
    pending_.pop_front();
    WorkerState& state = workers_[worker];
    ReadAhead();
    // Hand out whole chunks of the current size, and only to a worker that
    // holds at most prefetch_chunks - 1 of them: a worker whose slots are
    // nearly full waits for more of its results instead of hoarding the
    // tail in a trickle of small chunks.
    const size_t chunk = CurrentChunk();
    const size_t want = std::min(*state.pending_capacity, chunk);
    const size_t held = state.in_flight.size();
    std::vector<WorkItem> items;
    if (held + chunk <= chunk * options_.prefetch_chunks) items = Take(want);
    if (!items.empty()) {
      for (const WorkItem& item : items) {
        state.in_flight.emplace(item.track_id, item);
      }
      total_in_flight_ += items.size();
      outbox_.push_back(WorkReply{worker, false, std::move(items)});
      state.pending_capacity.reset();
    } else if (source_dry_ && requeue_.empty() && ahead_.empty() &&
               !OthersHoldItems(worker)) {
      // Nothing can ever be handed out again: no fresh items, and no other
      // worker holds items that a loss could send back to the queue.
      outbox_.push_back(WorkReply{worker, true, {}});
      state.pending_capacity.reset();
      state.told_no_more_work = true;
    } else {
      still_waiting.push_back(worker);  // deferred (protocol step 2)
    }
  }
  pending_ = std::move(still_waiting);
}

}  // namespace mer::coordinator
