// `mer train`: one training run with a grouped validation split, or grouped
// k-fold cross-validation of one or several architectures (the seed paper's
// comparison table with paired t-tests), plus the reports a person reads:
// per-epoch metrics (CSV, JSON), learning curves and confusion matrix (SVG).
// Torch-free header; the work is the Trainer (worker/train/trainer.h).
//
// Files written by rank 0 into `metrics_dir`:
//   history.csv / history.json     per-epoch metrics (single run; CV: per
//                                  fold, with a "fold" column)
//   learning_curves.svg            train loss, val loss and macro-F1
//   confusion.svg                  validation (single run) or pooled test
//                                  folds (CV) confusion matrix
//   folds.csv                      track_id, group, quadrant, fold (CV)
//   cv_predictions.csv             per track: arch, fold, probabilities (CV)
//   report.json                    everything printed
// With --folds and --out, the final model's manifest carries the
// cross-validation figures ("metrics": {"cross_validation": ...}).
#ifndef MER_WORKER_TRAIN_TRAIN_JOB_H_
#define MER_WORKER_TRAIN_TRAIN_JOB_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/core/result.h"
#include "worker/train/trainer_options.h"
#include "worker/train/training_data.h"

namespace mer::worker {

struct TrainJobOptions {
  // Feature-shard folder (`mer extract`) or labels CSV (extracted on the
  // fly). Required.
  std::string data;
  LabelsSourceOptions source;  // front end, labels options for a CSV
  TrainerOptions trainer;      // what shapes the model
  TrainerRunOptions run;       // device, threads, checkpoints, progress
  // Model bundle written at the end (CV: a final model trained on every
  // track). Empty: none (only allowed with folds).
  std::string out;
  // Report folder. Default (empty): OUT's path without extension +
  // ".metrics" ("mer-cv.metrics" without --out).
  std::string metrics_dir;
  // Share of the groups held out for validation (early stopping, choice of
  // the kept epoch); 0: none. In CV it is taken from the training folds.
  // Default: 0.1.
  double val_fraction = 0.1;
  int folds = 0;                     // k-fold CV; 0 = one run. Default: 0.
  std::vector<std::string> compare;  // architectures compared on the folds
  uint64_t split_seed = 0;           // 0: trainer.seed. Default: 0.
  // With folds: also write each fold's model (the one that scored the
  // held-out fold) to DIR/<arch>-fold<f>.merm, f from 0 as in folds.csv.
  // Empty: none. Default: empty.
  std::string fold_models_dir;
  std::vector<std::string> label_names = {"happy", "tense", "sad", "calm"};

  core::Status Validate() const;
};

struct TrainJobReport {
  nlohmann::json json;  // machine-readable summary (also report.json)
  std::string text;     // human summary (tables)
};

// Collective: every rank calls it.
core::Result<TrainJobReport> RunTrainJob(const TrainJobOptions& options,
                                         comm::Communicator& comm);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_TRAIN_JOB_H_
