// Zero-crossing rate per frame of a band-limited signal: the signal is
// low-passed at `cutoff_hz` (4th-order Butterworth: two biquads, bilinear
// transform with pre-warping; skipped when the cutoff is within 1 % of the
// Nyquist frequency), then each frame counts the sign changes between
// neighbouring samples (a sample that is 0 counts as positive, as
// librosa's zero_crossing_rate and aubio's do) and divides by the number of
// neighbouring pairs. A sine of frequency f gives 2 f / sample_rate.
//
// Frames are the front end's (stft.h): frame t spans the n_fft samples
// around Stft::FrameCenter(t), clipped to the signal (no padding).
//
// Thread-safety: pure function.
#ifndef MER_COMMON_DSP_ZERO_CROSSING_RATE_H_
#define MER_COMMON_DSP_ZERO_CROSSING_RATE_H_

#include <span>
#include <vector>

#include "common/dsp/front_end_params.h"

namespace mer::dsp {

// NumFrames(pcm.size(), fe) rates, each in [0, 1]. `fe` valid.
std::vector<float> ZeroCrossingRates(std::span<const float> pcm,
                                     const FrontEndParams& fe,
                                     double cutoff_hz);

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_ZERO_CROSSING_RATE_H_
