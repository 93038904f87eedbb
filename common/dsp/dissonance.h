// Sensory dissonance (roughness) of a spectrum: the Plomp & Levelt (1965)
// consonance curve in Sethares' parametrisation (Sethares 1993, "Local
// consonance and the relationship between timbre and scale"), summed over
// every pair of spectral peaks.
//
// Thread-safety: pure functions.
#ifndef MER_COMMON_DSP_DISSONANCE_H_
#define MER_COMMON_DSP_DISSONANCE_H_

#include <span>
#include <vector>

namespace mer::dsp {

struct SpectralPeak {
  double hz = 0.0;
  double magnitude = 0.0;  // linear
};

// The local maxima of `magnitude` (bin k at k * bin_hz) at or above `min_hz`
// and within 60 dB of the strongest, the `max_peaks` strongest of them,
// sorted by frequency. Frequency and magnitude are refined by a parabola
// through the peak's bin and its neighbours in dB.
std::vector<SpectralPeak> FindSpectralPeaks(std::span<const double> magnitude,
                                            double bin_hz, double min_hz,
                                            int max_peaks);

// The roughness of two partials f1 < f2 apart by d = f2 - f1 Hz,
// exp(-3.5 s d) - exp(-5.75 s d) with s = 0.24 / (0.0207 f1 + 18.96),
// divided by its maximum (0.181 at s d = 0.22): 1 at the roughest interval
// (about a quarter of a critical band), 0 for unison and wide intervals.
double PairRoughness(double f1, double f2);

// Sum over pairs of a_i * a_j * PairRoughness(f_i, f_j), divided by
// sum of a_i^2: 0 for a pure tone or none; level-independent; two equal
// partials at the roughest interval give 0.5. `peaks` in any order.
double SensoryDissonance(std::span<const SpectralPeak> peaks);

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_DISSONANCE_H_
