// Model ensembles: one bundle holding several trained models (seeds, folds,
// the joint model and the classic one), combined by weighted averages of
// their V-A and quadrant probabilities (ModelConfig arch "ensemble",
// EnsembleImpl in architectures.h). `mer index`, `predict` and `eval` load
// it like any bundle; the index keeps one record per track.
//
//   EnsembleOptions o;
//   o.members = {"joint.merm", "mlp.merm"};
//   o.weights = {0.7, 0.3};
//   o.out_of_fold = {"joint.metrics/cv_predictions.csv",
//                    "mlp.metrics/cv_predictions.csv"};
//   MER_ASSIGN_OR_RETURN(EnsembleSummary s, BuildEnsemble(o, "ens.merm"));
//
// Members must share the front end, the window length, the quadrant head
// and (those that read descriptors) the descriptor parameters. With
// `out_of_fold` (one `mer train --folds` cv_predictions.csv per member, on
// the same folds) the ensemble's V-A calibration is fitted on the weighted
// out-of-fold V-A of every track, and the manifest's
// metrics.cross_validation holds the ensemble's out-of-fold macro-F1 (per
// fold), V-A Pearson r and ECE of the fitted calibration. Without it the
// calibration scales are the members' weighted means (not fitted for the
// ensemble; the manifest says so).
//
// Torch-free header. Thread-safety: safe on distinct paths.
#ifndef MER_COMMON_NN_MODEL_ENSEMBLE_H_
#define MER_COMMON_NN_MODEL_ENSEMBLE_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/core/result.h"

namespace mer::nn {

struct EnsembleOptions {
  std::vector<std::string> members;  // bundle paths, 2 or more
  // One positive weight per member, normalised to sum 1; empty: equal.
  std::vector<float> weights;
  // Empty, or one cv_predictions.csv per member (see above).
  std::vector<std::string> out_of_fold;
  // Two members and out_of_fold only: instead of `weights`, the first
  // member's weight is the value of this grid whose weighted out-of-fold
  // V-A scores the best macro-F1 over all folds (ties: the one nearest 0.5).
  // The choice is on the dev folds; an honest estimate of what it gives
  // picks it per fold on the other folds (scripts/bench/quality-4q.py).
  std::vector<float> weight_grid;
};

struct EnsembleSummary {
  std::string model_id;
  std::vector<std::string> member_ids;
  std::vector<float> weights;  // normalised (chosen, with weight_grid)
  nlohmann::json calibration;  // VaCalibration::ToJson()
  // With out_of_fold: the figures stored in metrics.cross_validation.
  nlohmann::json cross_validation;
};

core::Result<EnsembleSummary> BuildEnsemble(const EnsembleOptions& options,
                                            const std::string& out_path);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_MODEL_ENSEMBLE_H_
