// Progress of long jobs on stderr: done/total, failures, throughput and ETA.
// On a terminal a live bar redrawn in place; otherwise (logs, CI, Slurm
// output files) one line every `interval_seconds`.
//
// Thread-safety: Update/Finish may be called from any one thread at a time.
#ifndef MER_COMMON_CORE_PROGRESS_H_
#define MER_COMMON_CORE_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace mer::core {

struct ProgressOptions {
  std::string label = "progress";  // Default: "progress"
  double interval_seconds = 10;    // non-terminal line period. Default: 10
  bool enabled = true;             // Default: true
  bool force_plain = false;        // lines even on a terminal. Default: false
};

class Progress {
 public:
  // total < 0: unknown (the scan is still running).
  Progress(const ProgressOptions& options, int64_t total);

  // Absolute counts; audio_seconds is the audio processed so far.
  void Update(int64_t done, int64_t failed, double audio_seconds,
              int64_t total = -2 /* -2: unchanged */);
  // Prints the final line (always, when enabled).
  void Finish();

  double elapsed_seconds() const;

 private:
  std::string Line() const;
  void Print(bool final);

  ProgressOptions options_;
  bool tty_ = false;
  int64_t total_ = -1, done_ = 0, failed_ = 0;
  double audio_seconds_ = 0;
  std::chrono::steady_clock::time_point start_, last_print_;
};

// "1 h 02 min", "3 min 05 s", "12 s".
std::string FormatDuration(double seconds);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_PROGRESS_H_
