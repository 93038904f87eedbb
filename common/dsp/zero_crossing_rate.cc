#include "common/dsp/zero_crossing_rate.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/dsp/spectrogram.h"

namespace mer::dsp {
namespace {

// One low-pass biquad (RBJ's cookbook form), direct form II transposed.
struct Biquad {
  double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
  double z1 = 0, z2 = 0;

  static Biquad LowPass(double cutoff, double sample_rate, double q) {
    const double w0 = 2.0 * std::numbers::pi * cutoff / sample_rate;
    const double alpha = std::sin(w0) / (2.0 * q);
    const double c = std::cos(w0);
    const double a0 = 1.0 + alpha;
    Biquad f;
    f.b0 = (1.0 - c) / 2.0 / a0;
    f.b1 = (1.0 - c) / a0;
    f.b2 = f.b0;
    f.a1 = -2.0 * c / a0;
    f.a2 = (1.0 - alpha) / a0;
    return f;
  }
  double Step(double x) {
    const double y = b0 * x + z1;
    z1 = b1 * x - a1 * y + z2;
    z2 = b2 * x - a2 * y;
    return y;
  }
};

}  // namespace

std::vector<float> ZeroCrossingRates(std::span<const float> pcm,
                                     const FrontEndParams& fe,
                                     double cutoff_hz) {
  const int n_frames = NumFrames(pcm.size(), fe);
  std::vector<float> rates(n_frames, 0.0f);
  if (n_frames == 0 || pcm.size() < 2) return rates;
  const long n = static_cast<long>(pcm.size());
  const long half = fe.n_fft / 2;
  const long offset = fe.center ? 0 : half;
  // Frame t spans [begin(t), end(t)) of the signal; both grow with t.
  auto begin = [&](long t) {
    return std::clamp(t * fe.hop_length + offset - half, 0L, n);
  };
  auto end = [&](long t) {
    return std::clamp(t * fe.hop_length + offset + half, 0L, n);
  };

  // Butterworth poles for order 4: Q = 1 / (2 cos(pi (2k + 1) / 8)).
  const double nyquist = fe.sample_rate / 2.0;
  const bool filter = cutoff_hz < 0.99 * nyquist;
  Biquad stage1 = Biquad::LowPass(cutoff_hz, fe.sample_rate,
                                  1.0 / (2.0 * std::cos(std::numbers::pi / 8)));
  Biquad stage2 =
      Biquad::LowPass(cutoff_hz, fe.sample_rate,
                      1.0 / (2.0 * std::cos(3.0 * std::numbers::pi / 8)));

  // crossings_before[i]: sign changes between pairs (j - 1, j) with j < i,
  // sampled at every frame's begin and end as the filter runs through.
  std::vector<long> at_begin(n_frames), at_end(n_frames);
  long tb = 0, te = 0, crossings = 0;
  bool previous_negative = false;
  for (long i = 0; i <= n; ++i) {
    // Record counts of pairs ending before i: frame [b, e) holds pairs with
    // b < j < e, i.e. crossings(e) - crossings(b + 1).
    while (tb < n_frames && begin(tb) + 1 <= i) at_begin[tb++] = crossings;
    while (te < n_frames && end(te) <= i) at_end[te++] = crossings;
    if (i == n) break;
    double y = pcm[i];
    if (filter) y = stage2.Step(stage1.Step(y));
    const bool negative = y < 0.0;
    if (i > 0 && negative != previous_negative) ++crossings;
    previous_negative = negative;
  }
  while (tb < n_frames) at_begin[tb++] = crossings;
  while (te < n_frames) at_end[te++] = crossings;
  for (long t = 0; t < n_frames; ++t) {
    const long pairs = end(t) - begin(t) - 1;
    if (pairs > 0) {
      rates[t] = static_cast<float>(
          static_cast<double>(std::max(0L, at_end[t] - at_begin[t])) / pairs);
    }
  }
  return rates;
}

}  // namespace mer::dsp
