#include "common/dsp/segmenter.h"

#include <algorithm>

#include "common/core/check.h"

namespace mer::dsp {

Segments SegmentSpectrogram(const Spectrogram& s, int segment_frames,
                            int hop_frames) {
  MER_CHECK(segment_frames >= 1 && hop_frames >= 1);
  MER_CHECK(s.data.size() == static_cast<size_t>(s.n_mels) * s.n_frames);
  Segments out;
  out.n_mels = s.n_mels;
  out.n_frames = segment_frames;
  if (s.n_frames == 0) return out;
  out.n_segments = s.n_frames < segment_frames
                       ? 1
                       : 1 + (s.n_frames - segment_frames) / hop_frames;
  out.data.resize(static_cast<size_t>(out.n_segments) * s.n_mels *
                  segment_frames);
  float* dst = out.data.data();
  for (int i = 0; i < out.n_segments; ++i) {
    const int start = i * hop_frames;
    out.start_frames.push_back(start);
    for (int m = 0; m < s.n_mels; ++m) {
      const float* row = s.data.data() + static_cast<size_t>(m) * s.n_frames;
      if (start + segment_frames <= s.n_frames) {
        dst = std::copy(row + start, row + start + segment_frames, dst);
      } else {  // only segment of a short spectrogram: tile it
        for (int f = 0; f < segment_frames; ++f) *dst++ = row[f % s.n_frames];
      }
    }
  }
  return out;
}

}  // namespace mer::dsp
