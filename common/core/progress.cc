#include "common/core/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace mer::core {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long s = std::lround(seconds);
  char buf[48];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%ld h %02ld min", s / 3600, s % 3600 / 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof(buf), "%ld min %02ld s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%ld s", s);
  }
  return buf;
}

Progress::Progress(const ProgressOptions& options, int64_t total)
    : options_(options),
      tty_(!options.force_plain && ::isatty(STDERR_FILENO)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start_)
      .count();
}

std::string Progress::Line() const {
  const double t = elapsed_seconds();
  char buf[256];
  std::string counts;
  if (total_ >= 0) {
    std::snprintf(buf, sizeof(buf), "%lld/%lld (%.0f%%)",
                  static_cast<long long>(done_ + failed_),
                  static_cast<long long>(total_),
                  total_ ? 100.0 * (done_ + failed_) / total_ : 100.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%lld/?",
                  static_cast<long long>(done_ + failed_));
  }
  counts = buf;
  const double rate = t > 0 ? (done_ + failed_) / t : 0;
  std::string eta = "?";
  if (total_ >= 0 && done_ + failed_ >= total_) {
    eta = FormatDuration(0);  // nothing left (also when there was nothing)
  } else if (total_ >= 0 && rate > 0) {
    eta = FormatDuration((total_ - done_ - failed_) / rate);
  }
  std::snprintf(buf, sizeof(buf),
                "%s: %s tracks, %lld failed, %.2f audio h/s (%.1f tracks/s), "
                "elapsed %s, ETA %s",
                options_.label.c_str(), counts.c_str(),
                static_cast<long long>(failed_),
                t > 0 ? audio_seconds_ / 3600.0 / t : 0.0, rate,
                FormatDuration(t).c_str(), eta.c_str());
  return buf;
}

void Progress::Print(bool final) {
  std::string line = Line();
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
  last_print_ = std::chrono::steady_clock::now();
}

void Progress::Update(int64_t done, int64_t failed, double audio_seconds,
                      int64_t total) {
  done_ = done;
  failed_ = failed;
  audio_seconds_ = audio_seconds;
  if (total != -2) total_ = total;
  if (!options_.enabled) return;
  const double since = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - last_print_)
                           .count();
  if (since >= (tty_ ? 0.2 : options_.interval_seconds)) Print(false);
}

void Progress::Finish() {
  if (options_.enabled) Print(true);
}

}  // namespace mer::core
