// Calibration from cross-validation: the out-of-fold track predictions of
// one architecture, the expected calibration error (ECE) of their
// confidences, and the V-A calibration (common/nn/va_calibration.h) a final
// model carries. Torch-free; internal to mer_train.
//
// The ECE of calibrated confidences is cross-fitted: fold f's tracks are
// calibrated with scales fitted on the other folds' out-of-fold
// predictions, so no track is calibrated on itself. The final calibration
// is fitted on every out-of-fold prediction.
#ifndef MER_WORKER_TRAIN_CALIBRATION_REPORT_H_
#define MER_WORKER_TRAIN_CALIBRATION_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/nn/va_calibration.h"
#include "worker/train/track_scores.h"
#include "worker/train/training_data.h"

namespace mer::worker {

// Every test-fold track of one CV row, with a quadrant label.
struct OutOfFold {
  std::vector<int> fold, quadrant;
  std::vector<float> valence, arousal;
  std::vector<std::array<float, 4>> probs;  // as the model gave them
};

// Adds fold `fold`'s test scores (tracks with a quadrant label only).
void AddOutOfFold(const TrainingData& data, int fold, const TrackScores& s,
                  OutOfFold* oof);

struct CalibrationFigures {
  double ece_raw = 0;  // of the model's own confidences
  double ece = 0;      // cross-fitted calibration ("va" models), else raw
  nn::VaCalibration calibration;  // fitted on all of it ("va" models)
  nlohmann::json ToJson() const;
};

// `va_head`: the quadrant comes from V-A (calibration applies).
CalibrationFigures CalibrateOutOfFold(const OutOfFold& oof, int folds,
                                      bool va_head,
                                      const std::string& fitted_on);

// ECE of probabilities [n][4] against labels (-1: skipped).
double QuadrantEce(const std::vector<std::array<float, 4>>& probs,
                   const std::vector<int>& quadrant);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_CALIBRATION_REPORT_H_
