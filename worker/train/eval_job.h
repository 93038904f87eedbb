// `mer eval`: metrics of a model bundle on a labelled set (labels CSV,
// decoded with the bundle's front end, or feature shards, which must carry
// the bundle's front-end digest). Torch-free header.
//
// JSON: tracks, failed, accuracy, macro_precision, macro_recall, macro_f1,
// per_class {name: precision, recall, f1, support}, confusion [true][pred],
// labels, ece (expected calibration error of the confidences of the
// tracks with a quadrant label, 10 bins) and the model's calibration; with
// V-A labels also valence/arousal {rmse, r2, pearson}. When
// the model has a tag head and the data has tag labels: tags
// {macro_roc_auc, macro_pr_auc, per_tag {name: roc_auc, pr_auc, positives},
// missing [the model's tags the data lacks, skipped]}; ROC-AUC / PR-AUC of
// a tag with no positive (or no negative) track is null and left out of
// the macro means. Tracks without a quadrant label count for the tags and
// V-A only.
#ifndef MER_WORKER_TRAIN_EVAL_JOB_H_
#define MER_WORKER_TRAIN_EVAL_JOB_H_

#include <nlohmann/json.hpp>
#include <string>

#include "common/comm/communicator.h"
#include "common/core/labels.h"
#include "common/core/result.h"
#include "worker/track_predictor.h"

namespace mer::worker {

struct EvalOptions {
  std::string model;  // bundle; required
  std::string data;   // labels CSV or shard folder; required
  core::LabelsOptions labels;
  TrackPredictorOptions predict;
  int threads = 0;  // decode threads (0 = all cores)
  bool progress = true;
  // When set, rank 0 writes every track's prediction there as CSV:
  // track_id, path, quadrant (truth, -1 unknown), predicted, p_<label>...,
  // valence, arousal (floats to 9 significant digits, exact). Default: none.
  std::string predictions_csv;
  core::Status Validate() const;
};

struct EvalReport {
  nlohmann::json json;
  std::string text;
};

// Collective (a CSV is decoded across ranks); rank 0's report is complete.
core::Result<EvalReport> RunEval(const EvalOptions& options,
                                 comm::Communicator& comm);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_EVAL_JOB_H_
