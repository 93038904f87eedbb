// Track windows: how a whole track's log-mel spectrogram is cut into the
// fixed-size inputs a model takes (the first step of the one track-inference
// path, common/nn/track_inference.h). Torch-free.
//
// A WindowPlan says where windows start:
// * n_frames > frames: a window every `hop_frames` frames from frame 0 while
//   it fits (a final partial window is dropped);
// * 0 < n_frames <= frames: one window at frame 0, the spectrogram repeated
//   (tiled from frame 0) until it fills the window. Repeating keeps the
//   clip's level and texture; padding with silence would teach the model
//   that short clips are quiet;
// * n_frames == 0: no window.
// With max_windows > 0 at most that many of the windows are kept, evenly
// spread from the first to the last (a speed cap; off by default).
//
// Thread-safety: pure functions and value types.
#ifndef MER_COMMON_NN_TRACK_WINDOWS_H_
#define MER_COMMON_NN_TRACK_WINDOWS_H_

#include <vector>

#include "common/core/status.h"

namespace mer::nn {

struct WindowPlan {
  // Frames per window: the model's input length (ModelConfig::n_frames).
  int frames = 256;
  // Frames between window starts: the front end's segment hop.
  int hop_frames = 128;
  // At most this many windows per track, evenly spread; 0 = all. Default: 0.
  int max_windows = 0;
  // Seconds per frame (hop_length / sample_rate), for the timeline.
  double seconds_per_frame = 0.016;

  core::Status Validate() const;
};

// Start frames of the windows of a track of `n_frames` frames.
std::vector<int> WindowStarts(int n_frames, const WindowPlan& plan);

// Copies the [n_mels][frames] window of `mel` ([n_mels][n_frames]) starting
// at `start` into `out`, tiling when the track ends first.
void CopyWindow(const float* mel, int n_mels, int n_frames, int start,
                int frames, float* out);

// One track's windows, contiguous, ready for the model.
struct TrackWindows {
  int n_mels = 0;
  int frames = 0;
  std::vector<float> data;           // [count()][n_mels][frames]
  std::vector<float> start_seconds;  // [count()]

  int count() const { return static_cast<int>(start_seconds.size()); }
  const float* window(int i) const {
    return data.data() + static_cast<size_t>(i) * n_mels * frames;
  }
};

// The windows of `mel` ([n_mels][n_frames] dB) under `plan`.
TrackWindows MakeWindows(const float* mel, int n_mels, int n_frames,
                         const WindowPlan& plan);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_TRACK_WINDOWS_H_
