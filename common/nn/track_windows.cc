#include "common/nn/track_windows.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mer::nn {

core::Status WindowPlan::Validate() const {
  if (frames < 1 || hop_frames < 1) {
    return core::Status::InvalidArgument(
        "window plan", "frames (" + std::to_string(frames) + ") and hop (" +
                           std::to_string(hop_frames) + ") must be >= 1");
  }
  if (max_windows < 0) {
    return core::Status::InvalidArgument("window plan",
                                         "max_windows must be >= 0");
  }
  if (!(seconds_per_frame > 0)) {
    return core::Status::InvalidArgument("window plan",
                                         "seconds_per_frame must be > 0");
  }
  return core::Status::Ok();
}

std::vector<int> WindowStarts(int n_frames, const WindowPlan& plan) {
  if (n_frames <= 0) return {};
  if (n_frames <= plan.frames) return {0};
  std::vector<int> starts;
  const int hop = std::max(1, plan.hop_frames);
  for (int s = 0; s + plan.frames <= n_frames; s += hop) starts.push_back(s);
  const int cap = plan.max_windows;
  if (cap <= 0 || static_cast<int>(starts.size()) <= cap) return starts;
  std::vector<int> picked;
  const double step =
      static_cast<double>(starts.size() - 1) / std::max(1, cap - 1);
  for (int i = 0; i < cap; ++i) {
    picked.push_back(starts[static_cast<size_t>(std::lround(i * step))]);
  }
  return picked;
}

void CopyWindow(const float* mel, int n_mels, int n_frames, int start,
                int frames, float* out) {
  for (int m = 0; m < n_mels; ++m) {
    const float* src = mel + static_cast<size_t>(m) * n_frames;
    float* dst = out + static_cast<size_t>(m) * frames;
    if (start + frames <= n_frames) {
      std::copy(src + start, src + start + frames, dst);
    } else {
      for (int t = 0; t < frames; ++t) dst[t] = src[(start + t) % n_frames];
    }
  }
}

TrackWindows MakeWindows(const float* mel, int n_mels, int n_frames,
                         const WindowPlan& plan) {
  TrackWindows w;
  w.n_mels = n_mels;
  w.frames = plan.frames;
  const std::vector<int> starts = WindowStarts(n_frames, plan);
  const size_t size = static_cast<size_t>(n_mels) * plan.frames;
  w.data.resize(starts.size() * size);
  for (size_t i = 0; i < starts.size(); ++i) {
    CopyWindow(mel, n_mels, n_frames, starts[i], plan.frames,
               w.data.data() + i * size);
    w.start_seconds.push_back(
        static_cast<float>(starts[i] * plan.seconds_per_frame));
  }
  return w;
}

}  // namespace mer::nn
