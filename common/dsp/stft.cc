#include "common/dsp/stft.h"

#include <cmath>
#include <numbers>

#include "common/core/check.h"

namespace mer::dsp {

Stft::Stft(const FrontEndParams& params)
    : n_fft_(params.n_fft),
      hop_(params.hop_length),
      center_(params.center),
      reflect_pad_(params.center && params.pad_mode == PadMode::kReflect),
      fft_(params.n_fft) {
  MER_CHECK_MSG(params.Validate().ok(), params.Validate().ToString().c_str());
  const int win = params.EffectiveWinLength();
  // torch.stft: a shorter window sits in the middle of the frame.
  win_begin_ = (n_fft_ - win) / 2;
  win_end_ = win_begin_ + win;
  window_.assign(n_fft_, 0.0);
  for (int i = 0; i < win; ++i) {
    // Periodic Hann (torch.hann_window(periodic=True), scipy sym=False).
    const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * i / win);
    window_[win_begin_ + i] = w;
    window_energy_ += w * w;
  }
}

long Stft::FrameCenter(long t) const {
  return t * hop_ + (center_ ? 0 : n_fft_ / 2);
}

void Stft::LoadFrame(std::span<const float> x, long t, bool reflect) {
  const long n = static_cast<long>(x.size());
  const long start = t * hop_ - (center_ ? n_fft_ / 2 : 0) + win_begin_;
  const long len = win_end_ - win_begin_;
  double* in = fft_.input() + win_begin_;
  const double* w = window_.data() + win_begin_;
  if (start >= 0 && start + len <= n) {
    const float* src = x.data() + start;
    for (long i = 0; i < len; ++i) in[i] = static_cast<double>(src[i]) * w[i];
    return;
  }
  for (long i = 0; i < len; ++i) {
    long j = start + i;
    double v = 0.0;
    if (j >= 0 && j < n) {
      v = x[j];
    } else if (reflect) {  // mirror about the end samples, not repeating them
      j = j < 0 ? -j : 2 * (n - 1) - j;
      // Frames far beyond the end reflect out of range again: zeros there.
      if (j >= 0 && j < n) v = x[j];
    }
    in[i] = v * w[i];
  }
}

const double* Stft::Transform(std::span<const float> samples, long t) {
  // Reflection needs n > n_fft / 2 (torch.stft's rule); else zeros.
  const bool reflect =
      reflect_pad_ && samples.size() > static_cast<size_t>(n_fft_ / 2);
  LoadFrame(samples, t, reflect);
  fft_.Execute();
  return fft_.output();
}

}  // namespace mer::dsp
