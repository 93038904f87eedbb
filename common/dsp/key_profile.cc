#include "common/dsp/key_profile.h"

#include <cmath>

namespace mer::dsp {
namespace {

// Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
constexpr double kMajor[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                               2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
constexpr double kMinor[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                               2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
constexpr const char* kPitchNames[12] = {"C",  "C#", "D",  "D#", "E",  "F",
                                         "F#", "G",  "G#", "A",  "A#", "B"};

// Pearson correlation of x with `profile` rotated so its tonic is `tonic`;
// 0 when either has no variance.
double Correlation(std::span<const double, 12> x, const double* profile,
                   int tonic) {
  double mx = 0.0, mp = 0.0;
  for (int i = 0; i < 12; ++i) {
    mx += x[i];
    mp += profile[i];
  }
  mx /= 12.0;
  mp /= 12.0;
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (int i = 0; i < 12; ++i) {
    const double dx = x[i] - mx;
    const double dp = profile[(i - tonic + 12) % 12] - mp;
    sxy += dx * dp;
    sxx += dx * dx;
    syy += dp * dp;
  }
  const double den = std::sqrt(sxx * syy);
  // A chroma whose spread is at rounding level is constant.
  return den > 1e-12 * (syy + 1.0) && sxx > 1e-24 ? sxy / den : 0.0;
}

}  // namespace

std::string KeyEstimate::Name() const {
  return std::string(kPitchNames[tonic]) + (minor ? " minor" : " major");
}

KeyEstimate EstimateKey(std::span<const double, 12> chroma) {
  KeyEstimate k;
  for (int t = 0; t < 12; ++t) {
    k.strengths[t] = Correlation(chroma, kMajor, t);
    k.strengths[12 + t] = Correlation(chroma, kMinor, t);
  }
  int best = 0, best_major = 0, best_minor = 12;
  for (int i = 0; i < 24; ++i) {
    if (k.strengths[i] > k.strengths[best]) best = i;
    if (i < 12 && k.strengths[i] > k.strengths[best_major]) best_major = i;
    if (i >= 12 && k.strengths[i] > k.strengths[best_minor]) best_minor = i;
  }
  k.tonic = best % 12;
  k.minor = best >= 12;
  k.clarity = k.strengths[best];
  k.mode = k.strengths[best_major] - k.strengths[best_minor];
  return k;
}

}  // namespace mer::dsp
