#include "common/dsp/dissonance.h"

#include <algorithm>
#include <cmath>

namespace mer::dsp {
namespace {

// Sethares (1993): d* = 0.24, s1 = 0.0207, s2 = 18.96, b1 = 3.5, b2 = 5.75.
constexpr double kDStar = 0.24;
constexpr double kS1 = 0.0207;
constexpr double kS2 = 18.96;
constexpr double kB1 = 3.5;
constexpr double kB2 = 5.75;
// Beyond this s * d the curve is below 1e-12 of its maximum.
constexpr double kNegligible = 8.0;
constexpr double kPeakFloorDb = 60.0;

// The curve's maximum, at x = ln(b2 / b1) / (b2 - b1).
double CurveMax() {
  const double x = std::log(kB2 / kB1) / (kB2 - kB1);
  return std::exp(-kB1 * x) - std::exp(-kB2 * x);
}

}  // namespace

double PairRoughness(double f1, double f2) {
  if (f2 < f1) std::swap(f1, f2);
  const double s = kDStar / (kS1 * f1 + kS2);
  const double x = s * (f2 - f1);
  if (x >= kNegligible) return 0.0;
  static const double kMax = CurveMax();
  return (std::exp(-kB1 * x) - std::exp(-kB2 * x)) / kMax;
}

std::vector<SpectralPeak> FindSpectralPeaks(std::span<const double> magnitude,
                                            double bin_hz, double min_hz,
                                            int max_peaks) {
  std::vector<SpectralPeak> peaks;
  const int n = static_cast<int>(magnitude.size());
  const int first = std::max(1, static_cast<int>(std::ceil(min_hz / bin_hz)));
  for (int k = first; k + 1 < n; ++k) {
    const double m = magnitude[k];
    if (!(m > magnitude[k - 1] && m >= magnitude[k + 1]) || !(m > 0.0)) {
      continue;
    }
    // Parabola through the dB values of k - 1, k, k + 1.
    const double floor = m * 1e-12;
    const double a = 20.0 * std::log10(std::max(magnitude[k - 1], floor));
    const double b = 20.0 * std::log10(m);
    const double c = 20.0 * std::log10(std::max(magnitude[k + 1], floor));
    const double den = a - 2.0 * b + c;
    const double offset = den < 0.0 ? 0.5 * (a - c) / den : 0.0;
    const double peak_db = b - 0.25 * (a - c) * offset;
    peaks.push_back({(k + offset) * bin_hz, std::pow(10.0, peak_db / 20.0)});
  }
  if (peaks.empty()) return peaks;
  auto stronger = [](const SpectralPeak& x, const SpectralPeak& y) {
    return x.magnitude > y.magnitude;
  };
  if (static_cast<int>(peaks.size()) > max_peaks) {
    std::nth_element(peaks.begin(), peaks.begin() + max_peaks, peaks.end(),
                     stronger);
    peaks.resize(max_peaks);
  }
  const double strongest =
      std::max_element(peaks.begin(), peaks.end(), [](auto& x, auto& y) {
        return x.magnitude < y.magnitude;
      })->magnitude;
  const double floor = strongest * std::pow(10.0, -kPeakFloorDb / 20.0);
  std::erase_if(peaks,
                [floor](const SpectralPeak& p) { return p.magnitude < floor; });
  std::sort(peaks.begin(), peaks.end(),
            [](auto& x, auto& y) { return x.hz < y.hz; });
  return peaks;
}

double SensoryDissonance(std::span<const SpectralPeak> peaks) {
  double energy = 0.0;
  for (const SpectralPeak& p : peaks) energy += p.magnitude * p.magnitude;
  if (!(energy > 0.0)) return 0.0;
  double rough = 0.0;
  for (size_t i = 0; i < peaks.size(); ++i) {
    for (size_t j = i + 1; j < peaks.size(); ++j) {
      rough += peaks[i].magnitude * peaks[j].magnitude *
               PairRoughness(peaks[i].hz, peaks[j].hz);
    }
  }
  return rough / energy;
}

}  // namespace mer::dsp
