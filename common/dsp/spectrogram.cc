#include "common/dsp/spectrogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace mer::dsp {
namespace {

// 10 * log10(x) for a positive normal float: x = 2^k * m with m in
// [sqrt(1/2), sqrt(2)), ln(m) = 2 atanh(s) with s = (m - 1) / (m + 1),
// |s| <= 0.1716, by its series to s^9 (truncation below 1e-9). Branch-free
// so the loop around it vectorises.
inline float FastDb(float x) {
  constexpr float kDbPerLn = static_cast<float>(10.0 / std::numbers::ln10);
  constexpr float kDbPerOctave =
      static_cast<float>(10.0 * std::numbers::ln2 / std::numbers::ln10);
  const uint32_t ix = std::bit_cast<uint32_t>(x);
  const uint32_t tmp = ix - 0x3f3504f3u;  // bits of sqrt(1/2)
  const int32_t k = static_cast<int32_t>(tmp) >> 23;
  const float m = std::bit_cast<float>(ix - (static_cast<uint32_t>(k) << 23));
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float poly =
      1.0f +
      s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9))));
  return static_cast<float>(k) * kDbPerOctave + (2.0f * kDbPerLn) * s * poly;
}

}  // namespace

void PowerToDb(float* data, size_t n, float amin) {
  for (size_t i = 0; i < n; ++i) {
    const float x = data[i];
    data[i] = FastDb(x > amin ? x : amin);  // NaN fails the test: amin
  }
}

int NumFrames(size_t n_samples, const FrontEndParams& p) {
  const size_t hop = static_cast<size_t>(p.hop_length);
  if (p.center) return static_cast<int>(1 + n_samples / hop);
  const size_t n_fft = static_cast<size_t>(p.n_fft);
  if (n_samples < n_fft) return 0;
  return static_cast<int>(1 + (n_samples - n_fft) / hop);
}

LogMelExtractor::LogMelExtractor(const FrontEndParams& params)
    : params_(params), stft_(params) {
  filterbank_ = SparseFilterbank::FromDense(MelFilterbankF64(params_),
                                            params_.n_mels, params_.NumFreqs());
  block_.assign(static_cast<size_t>(params_.NumFreqs()) * kBlock, 0.0);
}

Spectrogram LogMelExtractor::ComputePower(std::span<const float> samples) {
  Spectrogram out;
  out.n_mels = params_.n_mels;
  out.n_frames = NumFrames(samples.size(), params_);
  out.data.assign(static_cast<size_t>(out.n_mels) * out.n_frames, 0.0f);
  const int n_freqs = params_.NumFreqs();
  const int n_frames = out.n_frames;
  for (int t0 = 0; t0 < n_frames; t0 += kBlock) {
    const int nb = std::min(kBlock, n_frames - t0);
    for (int b = 0; b < nb; ++b) {
      const double* spec = stft_.Transform(samples, t0 + b);
      double* dst = block_.data() + b;
      for (int k = 0; k < n_freqs; ++k) {
        const double re = spec[2 * k], im = spec[2 * k + 1];
        dst[static_cast<size_t>(k) * kBlock] = re * re + im * im;
      }
    }
    // Mel projection over the nonzero band of each filter, kBlock frames at
    // a time (an axpy per bin: vectorises without reassociating sums).
    for (int m = 0; m < out.n_mels; ++m) {
      double acc[kBlock] = {};
      const double* wts = filterbank_.weights.data() + filterbank_.offset[m];
      for (int k = filterbank_.start[m]; k < filterbank_.end[m]; ++k) {
        const double wk = *wts++;
        const double* p = block_.data() + static_cast<size_t>(k) * kBlock;
        for (int b = 0; b < kBlock; ++b) acc[b] += wk * p[b];
      }
      float* dst = out.data.data() + static_cast<size_t>(m) * n_frames + t0;
      for (int b = 0; b < nb; ++b) dst[b] = static_cast<float>(acc[b]);
    }
  }
  return out;
}

Spectrogram LogMelExtractor::Compute(std::span<const float> samples) {
  Spectrogram s = ComputePower(samples);
  PowerToDb(s.data.data(), s.data.size());
  if (params_.top_db > 0.0f && !s.data.empty()) {
    const float floor =
        *std::max_element(s.data.begin(), s.data.end()) - params_.top_db;
    for (float& v : s.data) v = std::max(v, floor);
  }
  return s;
}

}  // namespace mer::dsp
