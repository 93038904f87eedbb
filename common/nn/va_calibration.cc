#include "common/nn/va_calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mer::nn {
namespace {

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// The scale c maximising sum log sigmoid(c * y_i * x_i) (y = +-1): Newton's
// method on a concave function of one variable, from c = 4.
double FitScale(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.empty()) return 4.0;
  double c = 4.0;
  for (int iter = 0; iter < 50; ++iter) {
    double grad = 0, hess = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double m = y[i] * x[i];
      const double p = Sigmoid(c * m);
      grad += (1 - p) * m;
      hess -= p * (1 - p) * m * m;
    }
    if (hess > -1e-12) break;
    const double step = grad / hess;
    c = std::clamp(c - step, 0.1, 100.0);
    if (std::fabs(step) < 1e-6) break;
  }
  return c;
}

}  // namespace

nlohmann::json VaCalibration::ToJson() const {
  return {{"valence_scale", valence_scale},
          {"arousal_scale", arousal_scale},
          {"fitted", fitted},
          {"fitted_on", fitted_on}};
}

core::Result<VaCalibration> VaCalibration::FromJson(const nlohmann::json& j) {
  VaCalibration c;
  try {
    c.valence_scale = j.at("valence_scale").get<float>();
    c.arousal_scale = j.at("arousal_scale").get<float>();
    c.fitted = j.value("fitted", false);
    c.fitted_on = j.value("fitted_on", std::string());
  } catch (const nlohmann::json::exception& e) {
    return core::Status::InvalidArgument("calibration", e.what());
  }
  if (!(c.valence_scale > 0) || !(c.arousal_scale > 0)) {
    return core::Status::InvalidArgument("calibration", "scales must be > 0");
  }
  return c;
}

std::array<float, 4> QuadrantProbs(float valence, float arousal,
                                   const VaCalibration& c) {
  const double v = Sigmoid(c.valence_scale * valence);
  const double a = Sigmoid(c.arousal_scale * arousal);
  return {static_cast<float>(v * a), static_cast<float>((1 - v) * a),
          static_cast<float>((1 - v) * (1 - a)),
          static_cast<float>(v * (1 - a))};
}

VaCalibration FitVaCalibration(const std::vector<float>& valence,
                               const std::vector<float>& arousal,
                               const std::vector<int>& quadrant,
                               const std::string& fitted_on) {
  std::vector<double> v, yv, a, ya;
  for (size_t i = 0; i < quadrant.size(); ++i) {
    const int q = quadrant[i];
    if (q < 0 || q > 3) continue;
    v.push_back(valence[i]);
    yv.push_back(q == 0 || q == 3 ? 1.0 : -1.0);  // happy, calm: V > 0
    a.push_back(arousal[i]);
    ya.push_back(q == 0 || q == 1 ? 1.0 : -1.0);  // happy, tense: A > 0
  }
  VaCalibration c;
  c.valence_scale = static_cast<float>(FitScale(v, yv));
  c.arousal_scale = static_cast<float>(FitScale(a, ya));
  c.fitted = !v.empty();
  c.fitted_on = fitted_on;
  return c;
}

double ExpectedCalibrationError(const std::vector<double>& confidence,
                                const std::vector<int>& correct, int bins) {
  if (confidence.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> conf_sum(bins, 0), hit_sum(bins, 0);
  std::vector<int> count(bins, 0);
  for (size_t i = 0; i < confidence.size(); ++i) {
    const int b =
        std::clamp(static_cast<int>(confidence[i] * bins), 0, bins - 1);
    conf_sum[b] += confidence[i];
    hit_sum[b] += correct[i];
    ++count[b];
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b) {
    if (count[b] == 0) continue;
    ece += std::fabs(hit_sum[b] - conf_sum[b]) / confidence.size();
  }
  return ece;
}

}  // namespace mer::nn
