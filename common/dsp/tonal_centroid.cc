#include "common/dsp/tonal_centroid.h"

#include <cmath>
#include <numbers>

// qm-dsp last: its headers define macros and pull in `using namespace std`.
#include "dsp/tonal/ChangeDetectionFunction.h"
#include "dsp/tonal/TCSgram.h"
#include "dsp/tonal/TonalEstimator.h"

namespace mer::dsp {
namespace {

// The sum of ChangeDetectionFunction's smoothing weights: a normal density
// with sigma = (2w + 1) / (2 * 2.3548) sampled at -w..w.
double GaussianSum(int half_width) {
  const double sigma = (2.0 * half_width + 1.0) / (2.0 * 2.3548);
  const double scale = 1.0 / (sigma * std::sqrt(2.0 * std::numbers::pi));
  double sum = 0.0;
  for (int x = -half_width; x <= half_width; ++x) {
    sum += scale * std::exp(-(x * x) / (2.0 * sigma * sigma));
  }
  return sum;
}

}  // namespace

std::vector<TonalVector> TonalCentroids(std::span<const Chroma> chroma) {
  TonalEstimator estimator;
  std::vector<TonalVector> out(chroma.size());
  ChromaVector c(12);
  for (size_t t = 0; t < chroma.size(); ++t) {
    for (int i = 0; i < 12; ++i) c[i] = chroma[t][i];
    c.normalizeL1();  // all zeros when the sum is below 1e-7
    const TCSVector v = estimator.transform2TCS(c);
    for (int i = 0; i < 6; ++i) out[t][i] = v[i];
  }
  return out;
}

std::vector<double> HarmonicChange(std::span<const TonalVector> centroids,
                                   int half_width) {
  const size_t n = centroids.size();
  std::vector<double> out(n, 0.0);
  if (n < 2) return out;
  TCSGram gram;
  gram.setFrameDuration(1.0);  // unused by the distances; set, not garbage
  gram.reserve(n);
  for (const TonalVector& v : centroids) {
    TCSVector tcs;
    for (int i = 0; i < 6; ++i) tcs[i] = v[i];
    gram.addTCSVector(tcs);
  }
  ChangeDFConfig config;
  config.smoothingWidth = half_width;
  ChangeDetectionFunction hcdf(config);
  const ChangeDistance d = hcdf.process(gram);
  const double gain = 1.0 / GaussianSum(half_width);
  for (size_t t = 0; t < n; ++t) out[t] = d[t] * gain;
  if (n >= 3) {
    out[0] = out[1];
    out[n - 1] = out[n - 2];
  } else {
    out[0] = out[1] = 0.0;
  }
  return out;
}

}  // namespace mer::dsp
