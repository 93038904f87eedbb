// Per-track summary of a DescriptorMatrix: the mean and the standard
// deviation (over frames, population) of every row, then a few whole-track
// values:
//
//   rms_db.range        95th minus 5th percentile of rms_db (loudness range,
//                       dB; numpy.percentile's linear interpolation)
//   tempo_bpm.median    median of the local tempo
//   key_clarity.track   key clarity of the track's mean chroma
//   mode.track          mode (best major - best minor) of the mean chroma
//
// Names: "<row>.mean", "<row>.std" for each row in row order (e.g.
// "rms_db.mean", "rms_db.std"), then the four above. A matrix with no frames
// gives zeros.
//
// Thread-safety: pure functions.
#ifndef MER_COMMON_DSP_TRACK_STATISTICS_H_
#define MER_COMMON_DSP_TRACK_STATISTICS_H_

#include <string>
#include <vector>

#include "common/dsp/descriptor_extractor.h"

namespace mer::dsp {

// `m` from DescriptorExtractor (m.n_dims == kNumDescriptors; checked).
// TrackStatisticNames().size() values.
std::vector<float> TrackStatistics(const DescriptorMatrix& m);
const std::vector<std::string>& TrackStatisticNames();

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_TRACK_STATISTICS_H_
