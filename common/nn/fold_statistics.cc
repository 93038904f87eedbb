#include "common/nn/fold_statistics.h"

#include <cmath>
#include <limits>
#include <string>

namespace mer::nn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Continued fraction of I_x(a, b) (Numerical Recipes' betacf, Lentz).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr int kMaxIterations = 300;
  constexpr double kEps = 1e-15;
  constexpr double kTiny = 1e-300;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < kEps) break;
  }
  return h;
}

}  // namespace

MeanStd MeanAndStd(const std::vector<double>& values) {
  MeanStd r;
  double sum = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++r.n;
  }
  if (r.n == 0) {
    r.mean = kNaN;
    return r;
  }
  r.mean = sum / r.n;
  if (r.n < 2) return r;
  double ss = 0;
  for (double v : values) {
    if (!std::isnan(v)) ss += (v - r.mean) * (v - r.mean);
  }
  r.std = std::sqrt(ss / (r.n - 1));
  return r;
}

double RegularizedIncompleteBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) -
                           std::lgamma(b) + a * std::log(x) +
                           b * std::log1p(-x);
  const double front = std::exp(log_front);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2);
  // otherwise use the symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
  if (x < (a + 1) / (a + b + 2)) {
    return front * BetaContinuedFraction(a, b, x) / a;
  }
  return 1 - front * BetaContinuedFraction(b, a, 1 - x) / b;
}

double StudentTTwoSidedP(double t, double dof) {
  if (std::isnan(t) || dof <= 0) return kNaN;
  if (std::isinf(t)) return 0;
  return RegularizedIncompleteBeta(dof / 2, 0.5, dof / (dof + t * t));
}

core::Result<TTestResult> PairedTTest(const std::vector<double>& a,
                                      const std::vector<double>& b) {
  if (a.size() != b.size()) {
    return core::Status::InvalidArgument(
        "paired t-test", "samples differ in size (" + std::to_string(a.size()) +
                             " vs " + std::to_string(b.size()) + ")");
  }
  if (a.size() < 2) {
    return core::Status::InvalidArgument("paired t-test",
                                         "needs at least 2 pairs");
  }
  std::vector<double> diff(a.size());
  for (size_t i = 0; i < a.size(); ++i) diff[i] = a[i] - b[i];
  const MeanStd ms = MeanAndStd(diff);
  TTestResult r;
  r.dof = static_cast<int>(diff.size()) - 1;
  if (ms.std == 0) {
    r.t = ms.mean == 0
              ? 0.0
              : std::copysign(std::numeric_limits<double>::infinity(), ms.mean);
    r.p_value = ms.mean == 0 ? 1.0 : 0.0;
    return r;
  }
  r.t = ms.mean / (ms.std / std::sqrt(static_cast<double>(diff.size())));
  r.p_value = StudentTTwoSidedP(r.t, r.dof);
  return r;
}

}  // namespace mer::nn
