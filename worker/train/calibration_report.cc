#include "worker/train/calibration_report.h"

#include <algorithm>

namespace mer::worker {

void AddOutOfFold(const TrainingData& data, int fold, const TrackScores& s,
                  OutOfFold* oof) {
  for (size_t k = 0; k < s.tracks.size(); ++k) {
    const int q = data.tracks()[s.tracks[k]].quadrant;
    if (q < 0) continue;
    oof->fold.push_back(fold);
    oof->quadrant.push_back(q);
    oof->valence.push_back(s.va[2 * k]);
    oof->arousal.push_back(s.va[2 * k + 1]);
    oof->probs.push_back({s.probs[4 * k], s.probs[4 * k + 1],
                          s.probs[4 * k + 2], s.probs[4 * k + 3]});
  }
}

double QuadrantEce(const std::vector<std::array<float, 4>>& probs,
                   const std::vector<int>& quadrant) {
  std::vector<double> confidence;
  std::vector<int> correct;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (quadrant[i] < 0) continue;
    const auto best = std::max_element(probs[i].begin(), probs[i].end());
    confidence.push_back(*best);
    correct.push_back(static_cast<int>(best - probs[i].begin()) == quadrant[i]);
  }
  return nn::ExpectedCalibrationError(confidence, correct);
}

nlohmann::json CalibrationFigures::ToJson() const {
  return {{"ece_raw", ece_raw}, {"ece", ece}, {"va", calibration.ToJson()}};
}

CalibrationFigures CalibrateOutOfFold(const OutOfFold& oof, int folds,
                                      bool va_head,
                                      const std::string& fitted_on) {
  CalibrationFigures f;
  f.ece_raw = QuadrantEce(oof.probs, oof.quadrant);
  f.ece = f.ece_raw;
  if (!va_head) return f;
  std::vector<std::array<float, 4>> calibrated(oof.probs.size());
  for (int k = 0; k < folds; ++k) {
    std::vector<float> v, a;
    std::vector<int> q;
    for (size_t i = 0; i < oof.fold.size(); ++i) {
      if (oof.fold[i] == k) continue;
      v.push_back(oof.valence[i]);
      a.push_back(oof.arousal[i]);
      q.push_back(oof.quadrant[i]);
    }
    const nn::VaCalibration c = nn::FitVaCalibration(v, a, q, "");
    for (size_t i = 0; i < oof.fold.size(); ++i) {
      if (oof.fold[i] == k) {
        calibrated[i] = nn::QuadrantProbs(oof.valence[i], oof.arousal[i], c);
      }
    }
  }
  f.ece = QuadrantEce(calibrated, oof.quadrant);
  f.calibration =
      nn::FitVaCalibration(oof.valence, oof.arousal, oof.quadrant, fitted_on);
  return f;
}

}  // namespace mer::worker
