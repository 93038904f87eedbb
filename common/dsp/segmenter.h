// Cuts a spectrogram into the fixed-size windows a model takes as input.
//
// Thread-safety: pure function.
#ifndef MER_COMMON_DSP_SEGMENTER_H_
#define MER_COMMON_DSP_SEGMENTER_H_

#include <vector>

#include "common/dsp/spectrogram.h"

namespace mer::dsp {

// Segments of one spectrogram, contiguous: segment i, band m, frame f is at
// data[(i * n_mels + m) * n_frames + f].
struct Segments {
  int n_segments = 0;
  int n_mels = 0;
  int n_frames = 0;               // frames per segment
  std::vector<float> data;        // [n_segments][n_mels][n_frames]
  std::vector<int> start_frames;  // [n_segments], first source frame of each

  // Pointer to segment i's [n_mels][n_frames] block.
  const float* segment(int i) const {
    return data.data() + static_cast<size_t>(i) * n_mels * n_frames;
  }
};

// Windows of `segment_frames` frames every `hop_frames` frames (both >= 1;
// checked), starting at frame 0:
// * s.n_frames >= segment_frames: 1 + (s.n_frames - segment_frames) /
//   hop_frames full windows; a final partial window is dropped.
// * 0 < s.n_frames < segment_frames: one segment, the spectrogram repeated
//   (tiled from frame 0) until it fills the window. Repeating keeps the
//   clip's level and texture; padding with silence would teach the model
//   that short clips are quiet.
// * s.n_frames == 0: no segments.
// FrontEndParams::SegmentFrames() and SegmentHopFrames() give the sizes.
Segments SegmentSpectrogram(const Spectrogram& s, int segment_frames,
                            int hop_frames);

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_SEGMENTER_H_
