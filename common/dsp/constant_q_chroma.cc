#include "common/dsp/constant_q_chroma.h"

#include <algorithm>
#include <cmath>

#include "common/core/check.h"

// qm-dsp last: its headers define macros (PI, EPS, NULL) and pull in
// `using namespace std`.
#include "dsp/chromagram/ConstantQ.h"

namespace mer::dsp {
namespace {

// qm-dsp's ConstantQ computes its FFT length and bin count from this.
CQConfig MakeConfig(int sample_rate, double fmin, int octaves,
                    double threshold) {
  CQConfig c;
  c.FS = static_cast<unsigned>(sample_rate);
  c.min = fmin;
  c.max = fmin * std::pow(2.0, octaves);
  c.BPO = ConstantQChroma::kBinsPerOctave;
  c.CQThresh = threshold;
  return c;
}

int WholeOctaves(double fmin, double fmax) {
  return static_cast<int>(std::floor(std::log2(fmax / fmin) + 1e-9));
}

}  // namespace

ConstantQChroma::ConstantQChroma(int sample_rate, double fmin, double fmax,
                                 double threshold, double spectrum_fmax)
    : sample_rate_(sample_rate),
      octaves_(WholeOctaves(fmin, fmax)),
      cq_(std::make_unique<ConstantQ>(
          MakeConfig(sample_rate, fmin, WholeOctaves(fmin, fmax), threshold))),
      fft_(cq_->getfftlength()) {
  MER_CHECK(sample_rate > 0 && fmin > 0 && octaves_ >= 1);
  MER_CHECK(cq_->getK() >= octaves_ * kBinsPerOctave);
  cq_->sparsekernel();
  n_ = cq_->getfftlength();
  bin_hz_ = static_cast<double>(sample_rate_) / n_;
  // MIDI-style pitch class of fmin: A4 = 440 Hz is class 9.
  const long semitones = std::lround(12.0 * std::log2(fmin / 440.0));
  first_pitch_class_ = static_cast<int>(((semitones + 9) % 12 + 12) % 12);
  mirrored_re_.assign(n_, 0.0);
  mirrored_im_.assign(n_, 0.0);
  cq_re_.assign(cq_->getK(), 0.0);
  cq_im_.assign(cq_->getK(), 0.0);
  const int last_bin = std::clamp(
      static_cast<int>(std::floor(spectrum_fmax / bin_hz_)), 0, n_ / 2 - 1);
  magnitude_.assign(last_bin + 1, 0.0);
}

ConstantQChroma::~ConstantQChroma() = default;

void ConstantQChroma::Analyze(std::span<const float> pcm, long center) {
  const long n = static_cast<long>(pcm.size());
  const long half = n_ / 2;
  double* in = fft_.input();
  // in[i] = x[center + i] for i < N/2, in[N - j] = x[center - j] for j <= N/2.
  for (long i = 0; i < n_; ++i) {
    const long j = center + (i < half ? i : i - n_);
    in[i] = j >= 0 && j < n ? static_cast<double>(pcm[j]) : 0.0;
  }
  fft_.Execute();
  const double* x = fft_.output();
  // ConstantQ::process reads bin j of the spectrum at index N - 1 - j.
  for (long j = 0; j < n_; ++j) {
    const long k = j <= half ? j : n_ - j;  // X[j] = conj(X[N - j]) above N/2
    const double sign = j <= half ? 1.0 : -1.0;
    mirrored_re_[n_ - 1 - j] = x[2 * k];
    mirrored_im_[n_ - 1 - j] = sign * x[2 * k + 1];
  }
  cq_->process(mirrored_re_.data(), mirrored_im_.data(), cq_re_.data(),
               cq_im_.data());

  double per_bin[kBinsPerOctave] = {};
  for (int oct = 0; oct < octaves_; ++oct) {
    for (int b = 0; b < kBinsPerOctave; ++b) {
      const int k = oct * kBinsPerOctave + b;
      per_bin[b] += std::hypot(cq_re_[k], cq_im_[k]);
    }
  }
  for (int note = 0; note < 12; ++note) {
    const int b = 3 * note;
    const double sum = per_bin[(b + kBinsPerOctave - 1) % kBinsPerOctave] +
                       per_bin[b] + per_bin[b + 1];
    chroma_[(first_pitch_class_ + note) % 12] = sum;
  }

  // Hann window centred on the frame's first sample (the centre after the
  // shift), w[i] = 0.5 + 0.5 cos(2 pi i / N): X_w[k] = X[k] / 2 +
  // (X[k-1] + X[k+1]) / 4, with X[-1] = conj(X[1]).
  const int last = static_cast<int>(magnitude_.size()) - 1;
  for (int k = 0; k <= last; ++k) {
    const double pre_re = k > 0 ? x[2 * (k - 1)] : x[2];
    const double pre_im = k > 0 ? x[2 * (k - 1) + 1] : -x[3];
    const double re = 0.5 * x[2 * k] + 0.25 * (pre_re + x[2 * (k + 1)]);
    const double im = 0.5 * x[2 * k + 1] + 0.25 * (pre_im + x[2 * (k + 1) + 1]);
    magnitude_[k] = std::sqrt(re * re + im * im);
  }
}

}  // namespace mer::dsp
