// Mel scale and mel filterbanks, following librosa.filters.mel and
// torchaudio.functional.melscale_fbanks.
//
// Thread-safety: pure functions.
#ifndef MER_COMMON_DSP_MEL_H_
#define MER_COMMON_DSP_MEL_H_

#include <vector>

#include "common/dsp/front_end_params.h"

namespace mer::dsp {

// Hz -> mel. kSlaney: 3 * hz / 200 below 1 kHz, 15 + 27 * ln(hz / 1000) /
// ln(6.4) above (500 Hz -> 7.5). kHtk: 2595 * log10(1 + hz / 700).
double HzToMel(double hz, MelScale scale);
// The inverse of HzToMel.
double MelToHz(double mel, MelScale scale);

// The mel filterbank of `p` (which must be valid), row-major
// [p.n_mels][p.n_fft / 2 + 1]: n_mels + 2 points evenly spaced in mel between
// fmin and the effective fmax, triangles between neighbours over the FFT bin
// frequencies k * sample_rate / n_fft, divided by their width when
// mel_norm is kSlaney. Computed in double, rounded once to float.
// (torchaudio spaces bins as linspace(0, sample_rate // 2, n_freqs), which is
// the same for even n_fft and sample rate; this follows librosa otherwise.)
std::vector<float> MelFilterbank(const FrontEndParams& p);
// The same in double precision (what LogMelExtractor uses).
std::vector<double> MelFilterbankF64(const FrontEndParams& p);

// A filterbank stored by its nonzero bands: filter m covers FFT bins
// [start[m], end[m]) with weights at weights[offset[m] ...]. Every triangle's
// nonzero bins are contiguous, so this is exact and about n_freqs / 2 times
// smaller than the dense matrix for typical settings.
struct SparseFilterbank {
  int n_mels = 0;
  int n_freqs = 0;
  std::vector<int> start;  // [n_mels]
  std::vector<int>
      end;  // [n_mels], exclusive; start == end for an empty filter
  std::vector<int> offset;  // [n_mels] into weights
  std::vector<double> weights;  // double: see LogMelExtractor's precision note

  // Builds from a dense row-major [n_mels][n_freqs] matrix (first to last
  // nonzero of each row); T is float or double.
  template <typename T>
  static SparseFilterbank FromDense(const std::vector<T>& dense, int n_mels,
                                    int n_freqs);
  // Back to dense row-major [n_mels][n_freqs].
  std::vector<float> ToDense() const;
};

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_MEL_H_
