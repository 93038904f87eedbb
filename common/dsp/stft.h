// Stft: the short-time Fourier transform frames of a front end — the one
// place that windows and pads frames, so the log-mel (LogMelExtractor) and
// the hand-crafted descriptors (DescriptorExtractor) see the same frames.
//
// Frame t covers samples [t*hop - n_fft/2, t*hop + n_fft/2) when
// params.center is set (padded at both ends per pad_mode), else
// [t*hop, t*hop + n_fft). The window is a periodic Hann of win_length taps,
// centred in n_fft (torch.stft). Reflect padding needs more than n_fft / 2
// samples (torch.stft refuses shorter input); shorter input is padded with
// zeros instead, so any length, including 0, can be framed.
//
// Resources: one FFTW plan per n_fft for the process (RealFft), this object's
// aligned buffers and window.
//
// Thread-safety: construction is thread-safe; one Stft must not be used by
// two threads at once. Move-only.
#ifndef MER_COMMON_DSP_STFT_H_
#define MER_COMMON_DSP_STFT_H_

#include <span>
#include <vector>

#include "common/dsp/front_end_params.h"
#include "common/dsp/real_fft.h"

namespace mer::dsp {

class Stft {
 public:
  // `params` must be valid (params.Validate().ok(); checked).
  explicit Stft(const FrontEndParams& params);

  // Windows frame `t` of `samples` and transforms it. Returns n_fft / 2 + 1
  // complex values as interleaved (re, im) doubles, valid until the next
  // call. `t` may lie beyond the signal (the frame is then padding).
  const double* Transform(std::span<const float> samples, long t);

  int n_fft() const { return n_fft_; }
  int NumFreqs() const { return n_fft_ / 2 + 1; }
  // Sum of the squared window taps: a frame of a stationary signal with
  // mean square s gives a one-sided power sum |X_0|^2 + 2 sum |X_k|^2 +
  // |X_{n/2}|^2 of about n_fft * WindowEnergy() * s (Parseval).
  double WindowEnergy() const { return window_energy_; }
  // The sample a frame is centred on: t * hop (+ n_fft / 2 without center).
  long FrameCenter(long t) const;

 private:
  // Windows frame `t` of `x` into fft_.input().
  void LoadFrame(std::span<const float> x, long t, bool reflect);

  int n_fft_ = 0;
  int hop_ = 0;
  bool center_ = true;
  bool reflect_pad_ = true;  // center with PadMode::kReflect
  int win_begin_ = 0;        // nonzero window taps: [win_begin_, win_end_)
  int win_end_ = 0;
  double window_energy_ = 0.0;
  std::vector<double> window_;  // [n_fft], periodic Hann centred
  RealFft fft_;
};

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_STFT_H_
