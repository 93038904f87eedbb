#include "common/dsp/spectral_shape.h"

#include <algorithm>
#include <cmath>

#include "common/core/check.h"

namespace mer::dsp {
namespace {

constexpr double kAmin = 1e-10;     // librosa's amin (power and contrast)
constexpr double kRmsFloor = 1e-5;  // -100 dB

}  // namespace

SpectralShape::SpectralShape(const FrontEndParams& fe, double fmax,
                             double window_energy, double rolloff_fraction,
                             double contrast_quantile)
    : n_fft_(fe.n_fft), rolloff_fraction_(rolloff_fraction) {
  MER_CHECK(fmax > 0 && window_energy > 0);
  bin_hz_ = static_cast<double>(fe.sample_rate) / fe.n_fft;
  last_bin_ = std::clamp(static_cast<int>(std::floor(fmax / bin_hz_ + 1e-9)), 0,
                         fe.n_fft / 2);
  power_scale_ = 1.0 / (fe.n_fft * window_energy);
  magnitude_.assign(last_bin_ + 1, 0.0);
  previous_.assign(last_bin_ + 1, 0.0);

  // librosa.feature.spectral_contrast's band selection, the last band ending
  // at fmax instead of the Nyquist frequency.
  const int n = last_bin_ + 1;
  for (int b = 0; b < kContrastBands; ++b) {
    const double lo = b == 0 ? 0.0 : kContrastFmin * std::pow(2.0, b - 1);
    const double hi = kContrastFmin * std::pow(2.0, b);
    const bool last = b == kContrastBands - 1;
    int first = -1, end = 0;  // bins with lo <= f <= hi (to fmax if last)
    for (int k = 0; k < n; ++k) {
      const double f = k * bin_hz_;
      if (f >= lo && (last || f <= hi)) {
        if (first < 0) first = k;
        end = k + 1;
      }
    }
    Band& band = bands_[b];
    if (first < 0) continue;          // no bins: contrast 0
    if (b > 0 && first > 0) --first;  // one bin below the band
    const int selected = end - first;
    if (!last && end - first > 1) --end;  // all but the last bin
    band.begin = first;
    band.end = end;
    band.count = std::max(
        1, static_cast<int>(std::nearbyint(contrast_quantile * selected)));
    band.count = std::min(band.count, end - first);
    band.offset = extremes_per_frame_;
    extremes_per_frame_ += 2 * band.count;
    scratch_.resize(std::max<size_t>(scratch_.size(), end - first));
  }
}

void SpectralShape::Reset() {
  have_previous_ = false;
  max_power_ = 0.0;
}

SpectralShape::Values SpectralShape::Compute(const double* power,
                                             float* extremes) {
  Values v;
  const int n = last_bin_ + 1;
  double power_sum = 0.0, mag_sum = 0.0, weighted = 0.0;
  for (int k = 0; k < n; ++k) {
    const double p = power[k];
    max_power_ = std::max(max_power_, p);
    const bool edge = k == 0 || 2 * k == n_fft_;  // DC and Nyquist: once
    power_sum += edge ? p : 2.0 * p;
    magnitude_[k] = std::sqrt(p);
    mag_sum += magnitude_[k];
    weighted += k * magnitude_[k];
  }
  v.rms_db = 20.0 * std::log10(std::max(std::sqrt(power_sum * power_scale_),
                                        kRmsFloor));

  if (mag_sum > 0.0) {
    const double centroid_bin = weighted / mag_sum;
    double var = 0.0, cum = 0.0;
    int rolloff = -1;
    const double target = rolloff_fraction_ * mag_sum;
    for (int k = 0; k < n; ++k) {
      const double d = k - centroid_bin;
      var += d * d * magnitude_[k];
      cum += magnitude_[k];
      if (rolloff < 0 && cum >= target) rolloff = k;
    }
    v.centroid_hz = centroid_bin * bin_hz_;
    v.spread_hz = std::sqrt(var / mag_sum) * bin_hz_;
    v.rolloff_hz = std::max(rolloff, 0) * bin_hz_;
  }

  // Flux between unit-sum magnitude spectra.
  const double inv = mag_sum > 0.0 ? 1.0 / mag_sum : 0.0;
  double flux = 0.0;
  for (int k = 0; k < n; ++k) {
    const double m = magnitude_[k] * inv;
    const double d = m - previous_[k];
    flux += d * d;
    previous_[k] = m;
  }
  v.flux = have_previous_ ? std::sqrt(flux) : 0.0;
  have_previous_ = true;

  for (const Band& band : bands_) {
    const int len = band.end - band.begin;
    if (len <= 0) continue;
    const int c = band.count;
    float* lo = extremes + band.offset;
    float* hi = lo + c;
    double* m = scratch_.data();
    std::copy(magnitude_.data() + band.begin, magnitude_.data() + band.end, m);
    std::nth_element(m, m + c - 1, m + len);
    std::sort(m, m + c);
    for (int i = 0; i < c; ++i) lo[i] = static_cast<float>(m[i]);
    std::nth_element(m, m + len - c, m + len);
    std::sort(m + len - c, m + len);
    for (int i = 0; i < c; ++i) hi[i] = static_cast<float>(m[len - c + i]);
  }
  return v;
}

std::array<double, SpectralShape::kContrastBands> SpectralShape::Contrast(
    std::span<const float> extremes, double floor_magnitude) const {
  MER_CHECK(static_cast<int>(extremes.size()) == extremes_per_frame_);
  std::array<double, kContrastBands> contrast{};
  for (int b = 0; b < kContrastBands; ++b) {
    const Band& band = bands_[b];
    if (band.end <= band.begin) continue;
    const int c = band.count;
    const float* lo = extremes.data() + band.offset;
    const float* hi = lo + c;
    double valley = 0.0, peak = 0.0;
    for (int i = 0; i < c; ++i) {
      valley += std::max<double>(lo[i], floor_magnitude);
      peak += std::max<double>(hi[i], floor_magnitude);
    }
    valley /= c;
    peak /= c;
    contrast[b] = 10.0 * std::log10(std::max(peak, kAmin)) -
                  10.0 * std::log10(std::max(valley, kAmin));
  }
  return contrast;
}

double FlatnessOfDb(std::span<const float> db) {
  if (db.empty()) return 1.0;
  // Relative to the largest value, so that any level is exact in double.
  const double top = *std::max_element(db.begin(), db.end());
  double mean_db = 0.0, mean_power = 0.0;
  for (float v : db) {
    mean_db += v - top;
    mean_power += std::pow(10.0, (v - top) / 10.0);
  }
  mean_db /= db.size();
  mean_power /= db.size();
  return std::pow(10.0, mean_db / 10.0) / mean_power;
}

}  // namespace mer::dsp
