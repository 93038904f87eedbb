// One emotion per track (DESIGN.md §6): for a model whose quadrant comes
// from its valence/arousal head (ModelConfig::quadrant_head "va"), a track's
// quadrant probabilities are a function of its V-A point,
//   P(valence > 0) = sigmoid(valence_scale * V)   (likewise arousal)
//   P(quadrant)    = P(its valence sign) * P(its arousal sign),
// so the most probable quadrant (the mood) is always the one the V-A point
// lies in, for a track and for every point of its timeline. The two scales
// are fitted on held-out predictions (FitVaCalibration: maximum likelihood
// of the labels' signs, e.g. on the out-of-fold tracks of `mer train
// --folds`), so that a confidence p is right about p of the time; they are
// stored in the model bundle.
//
// Thread-safety: value types and pure functions. Torch-free.
#ifndef MER_COMMON_NN_VA_CALIBRATION_H_
#define MER_COMMON_NN_VA_CALIBRATION_H_

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/core/result.h"

namespace mer::nn {

struct VaCalibration {
  // Default: 4 (uncalibrated: a point at +-0.5 gets 0.88 per axis).
  float valence_scale = 4.0f;
  float arousal_scale = 4.0f;
  // Whether the scales were fitted, and on what ("out-of-fold predictions
  // of 5-fold cross-validation, 720 tracks").
  bool fitted = false;
  std::string fitted_on;

  nlohmann::json ToJson() const;
  static core::Result<VaCalibration> FromJson(const nlohmann::json& j);
};

// happy, tense, sad, calm probabilities of the point (v, a).
std::array<float, 4> QuadrantProbs(float valence, float arousal,
                                   const VaCalibration& c);

// The scales that maximise the likelihood of the signs of `quadrant`
// (0..3; -1 unknown, skipped) given each track's (v, a); `fitted_on` is
// recorded. Scales stay within [0.1, 100].
VaCalibration FitVaCalibration(const std::vector<float>& valence,
                               const std::vector<float>& arousal,
                               const std::vector<int>& quadrant,
                               const std::string& fitted_on);

// Expected calibration error: the mean |accuracy - confidence| over
// `bins` equal-width confidence bins, weighted by their counts.
// `correct[i]` is 1 when prediction i was right. NaN for no predictions.
double ExpectedCalibrationError(const std::vector<double>& confidence,
                                const std::vector<int>& correct, int bins = 10);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_VA_CALIBRATION_H_
