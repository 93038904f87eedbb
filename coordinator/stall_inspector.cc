#include "coordinator/stall_inspector.h"

#include "common/core/check.h"
#include "common/core/host.h"
#include "common/core/progress.h"

namespace mer::coordinator {

core::Status StallOptions::Validate() const {
  if (!(warn_seconds > 0)) {
    return core::Status::InvalidArgument("--stall-warn must be > 0");
  }
  if (abort_seconds < 0) {
    return core::Status::InvalidArgument("--stall-abort must be >= 0");
  }
  if (abort_seconds > 0 && abort_seconds < warn_seconds) {
    return core::Status::InvalidArgument(
        "--stall-abort must be 0 (never) or at least --stall-warn");
  }
  return core::Status::Ok();
}

StallInspector::StallInspector(int num_workers, const StallOptions& options,
                               Clock::time_point start)
    : options_(options), watch_(static_cast<size_t>(num_workers)),
      last_check_(start) {
  MER_CHECK(num_workers >= 1);
  for (Watch& w : watch_) w.last_heard = start;
}

void StallInspector::Heard(int worker, Clock::time_point now) {
  Watch& w = watch_.at(static_cast<size_t>(worker));
  w.last_heard = now;
  w.warned = false;
}

void StallInspector::SetHost(int worker, const std::string& host) {
  watch_.at(static_cast<size_t>(worker)).host = host;
}

void StallInspector::Finished(int worker) {
  watch_.at(static_cast<size_t>(worker)).finished = true;
}

core::Status StallInspector::Check(
    Clock::time_point now, const std::function<size_t(int)>& held,
    const std::function<void(const std::string&)>& warn) {
  const auto gap = now - last_check_;
  last_check_ = now;
  if (gap > std::chrono::duration<double>(options_.coordinator_gap_seconds)) {
    // The coordinator was away (a long write): nobody could be heard.
    for (Watch& w : watch_) w.last_heard += gap;
  }
  for (size_t i = 0; i < watch_.size(); ++i) {
    Watch& w = watch_[i];
    if (w.finished) continue;
    const double silent =
        std::chrono::duration<double>(now - w.last_heard).count();
    const int worker = static_cast<int>(i);
    if (options_.abort_seconds > 0 && silent >= options_.abort_seconds) {
      return core::Status::Aborted(
          "index", "worker " + Name(worker) + " silent for " +
                       core::FormatDuration(silent) + " (--stall-abort " +
                       core::FormatDuration(options_.abort_seconds) +
                       "): its process, node or network link is lost. The " +
                       std::to_string(held(worker)) +
                       " tracks it held are not written; run the same "
                       "command again to resume");
    }
    if (!w.warned && silent >= options_.warn_seconds) {
      w.warned = true;
      std::string line = "worker " + Name(worker) + " silent for " +
                         core::FormatDuration(silent) + ", holding " +
                         std::to_string(held(worker)) + " tracks";
      if (options_.abort_seconds > 0) {
        line += "; the job aborts at " +
                core::FormatDuration(options_.abort_seconds) +
                " (--stall-abort)";
      }
      warn(line);
    }
  }
  return core::Status::Ok();
}

std::string StallInspector::Name(int worker) const {
  const std::string& host = watch_.at(static_cast<size_t>(worker)).host;
  return "rank " + std::to_string(worker + 1) + " on " +
         (host.empty() ? "?" : host);
}

std::string StallInspector::HostSummary() const {
  std::vector<std::string> hosts;
  for (const Watch& w : watch_) hosts.push_back(w.host.empty() ? "?" : w.host);
  return core::HostSummary(hosts, /*first_rank=*/1);
}

bool StallInspector::AllHostsKnown() const {
  for (const Watch& w : watch_) {
    if (w.host.empty()) return false;
  }
  return true;
}

}  // namespace mer::coordinator
