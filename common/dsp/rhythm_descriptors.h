// Rhythm descriptors from an onset strength curve on the front end's frame
// grid: onsets and the local onset rate, local tempo and pulse clarity.
//
// The curve is first resampled (linearly) to qm-dsp's detection-function
// rate, 44100 / 512 = 86.13 per second, the rate its peak picker's filters
// and its tempo tracker's comb filters and priors are built for. Then:
//
//   onsets         qm-dsp PeakPicking with its onset detector's settings
//                  (low-pass, median threshold over 7 + 8 values, quadratic
//                  fit; sensitivity 0-100).
//   onset rate     onsets per second under a Hann window centred on each
//                  frame, divided by the window's area inside the signal.
//   tempo (BPM)    qm-dsp TempoTrackV2 (Davies & Plumbley): comb-filtered
//                  autocorrelation of ~6 s windows every ~1.5 s, a Viterbi
//                  path of beat periods (one value per window, placed at the
//                  window's centre, interpolated linearly between). Signals
//                  shorter than two windows (7.4 s) are padded with zeros;
//                  where there is no pulse the tracker's prior (about 120
//                  BPM) decides.
//   pulse clarity  the highest autocorrelation (divided by lag 0's) of the
//                  mean-removed curve over a window centred every step, at
//                  lags between 60 / max_bpm and 60 / min_bpm seconds;
//                  0 to 1 (Lartillot et al. 2008, "MaxAutocor"). Interpolated
//                  linearly onto the frames.
//
// Every value is finite for any input, including silence and a few frames.
//
// Thread-safety: pure function.
#ifndef MER_COMMON_DSP_RHYTHM_DESCRIPTORS_H_
#define MER_COMMON_DSP_RHYTHM_DESCRIPTORS_H_

#include <span>
#include <vector>

#include "common/dsp/descriptor_params.h"
#include "common/dsp/front_end_params.h"

namespace mer::dsp {

struct RhythmDescriptors {
  std::vector<double> onset_seconds;  // sorted
  // One value per frame:
  std::vector<float> onset_rate;  // onsets per second
  std::vector<float> tempo_bpm;
  std::vector<float> pulse_clarity;
};

// `onset_strength`: one value per frame of `fe` (frame t centred on sample
// t * hop, + n_fft / 2 without center), non-negative; `n_samples`: the
// signal's length. `fe` and `p` valid.
RhythmDescriptors AnalyzeRhythm(std::span<const float> onset_strength,
                                size_t n_samples, const FrontEndParams& fe,
                                const DescriptorParams& p);

// qm-dsp's detection-function period: 512 / 44100 s.
inline constexpr double kRhythmStepSeconds = 512.0 / 44100.0;

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_RHYTHM_DESCRIPTORS_H_
