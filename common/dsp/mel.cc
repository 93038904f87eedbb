#include "common/dsp/mel.h"

#include <algorithm>
#include <cmath>

#include "common/core/check.h"

namespace mer::dsp {
namespace {

// Slaney (Auditory Toolbox) constants, as in librosa.
constexpr double kMinLogHz = 1000.0;
constexpr double kFspHz = 200.0 / 3.0;  // Hz per mel in the linear part
constexpr double kMinLogMel = kMinLogHz / kFspHz;  // 15
const double kLogStep = std::log(6.4) / 27.0;

}  // namespace

double HzToMel(double hz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kMinLogHz) return hz / kFspHz;
  return kMinLogMel + std::log(hz / kMinLogHz) / kLogStep;
}

double MelToHz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk)
    return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kMinLogMel) return mel * kFspHz;
  return kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel));
}

std::vector<double> MelFilterbankF64(const FrontEndParams& p) {
  const int n_freqs = p.NumFreqs();
  const int n_mels = p.n_mels;
  const double mel_lo = HzToMel(p.fmin, p.mel_scale);
  const double mel_hi = HzToMel(p.EffectiveFmax(), p.mel_scale);
  std::vector<double> hz(n_mels + 2);
  for (int i = 0; i < n_mels + 2; ++i) {
    // np.linspace / torch.linspace: lo + i * step.
    const double mel = mel_lo + (mel_hi - mel_lo) * i / (n_mels + 1);
    hz[i] = MelToHz(mel, p.mel_scale);
  }
  std::vector<double> fb(static_cast<size_t>(n_mels) * n_freqs, 0.0);
  for (int m = 0; m < n_mels; ++m) {
    const double lo = hz[m], mid = hz[m + 1], hi = hz[m + 2];
    const double norm = p.mel_norm == MelNorm::kSlaney ? 2.0 / (hi - lo) : 1.0;
    for (int k = 0; k < n_freqs; ++k) {
      const double f = static_cast<double>(k) * p.sample_rate / p.n_fft;
      const double down = (f - lo) / (mid - lo);
      const double up = (hi - f) / (hi - mid);
      const double w = std::max(0.0, std::min(down, up));
      fb[static_cast<size_t>(m) * n_freqs + k] = w * norm;
    }
  }
  return fb;
}

std::vector<float> MelFilterbank(const FrontEndParams& p) {
  std::vector<double> fb = MelFilterbankF64(p);
  return std::vector<float>(fb.begin(), fb.end());
}

template <typename T>
SparseFilterbank SparseFilterbank::FromDense(const std::vector<T>& dense,
                                             int n_mels, int n_freqs) {
  MER_CHECK(dense.size() == static_cast<size_t>(n_mels) * n_freqs);
  SparseFilterbank s;
  s.n_mels = n_mels;
  s.n_freqs = n_freqs;
  for (int m = 0; m < n_mels; ++m) {
    const T* row = dense.data() + static_cast<size_t>(m) * n_freqs;
    int first = 0;
    while (first < n_freqs && row[first] == 0) ++first;
    int last = n_freqs;
    while (last > first && row[last - 1] == 0) --last;
    if (first == n_freqs) first = last = 0;
    s.start.push_back(first);
    s.end.push_back(last);
    s.offset.push_back(static_cast<int>(s.weights.size()));
    s.weights.insert(s.weights.end(), row + first, row + last);
  }
  return s;
}
template SparseFilterbank SparseFilterbank::FromDense(const std::vector<float>&,
                                                      int, int);
template SparseFilterbank SparseFilterbank::FromDense(
    const std::vector<double>&, int, int);

std::vector<float> SparseFilterbank::ToDense() const {
  std::vector<float> dense(static_cast<size_t>(n_mels) * n_freqs, 0.0f);
  for (int m = 0; m < n_mels; ++m) {
    for (int k = start[m]; k < end[m]; ++k) {
      dense[static_cast<size_t>(m) * n_freqs + k] =
          static_cast<float>(weights[offset[m] + k - start[m]]);
    }
  }
  return dense;
}

}  // namespace mer::dsp
