// What a training run is told: the settings that shape the model
// (TrainerOptions: recorded in the bundle's manifest as "training", compared
// on --resume) and how this particular run goes (TrainerRunOptions: device,
// threads, checkpoint folder, progress; free to change between a run and
// its resumption). Torch-free.
#ifndef MER_WORKER_TRAIN_TRAINER_OPTIONS_H_
#define MER_WORKER_TRAIN_TRAINER_OPTIONS_H_

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/core/status.h"
#include "common/nn/model_config.h"
#include "worker/train/data_split.h"

namespace mer::worker {

class TrainingData;

struct TrainerOptions {
  // Architecture; n_mels is taken from the data, num_tags from the data's
  // tag names with `tags` (else 0). n_frames is the crop length. Default:
  // ModelConfig's defaults (crnn, 96 x 256).
  nn::ModelConfig model;
  int epochs = 30;              // Default: 30.
  int batch_size = 24;          // per rank. Default: 24.
  double learning_rate = 1e-3;  // Adam(W). Default: 1e-3.
  double weight_decay = 1e-4;   // decoupled (AdamW). Default: 1e-4.
  // "constant", "cosine" (to 5 % of the rate at the last epoch) or "step"
  // (x0.3 at 60 % and 85 % of the epochs). Default: "cosine".
  std::string lr_schedule = "cosine";
  int warmup_epochs = 1;       // linear warm-up. Default: 1.
  int crops_per_track = 4;     // random crops per track per epoch. Default: 4.
  bool class_weights = false;  // inverse-frequency CE weights. Default: off.
  float label_smoothing = 0.0f;  // Default: 0.
  float va_weight = 0.5f;        // weight of the V-A loss. Default: 0.5.
  // Train the tag head (sigmoid per tag, binary cross-entropy) on the data's
  // tags; the data must have tag labels. Each tag's positive weight is
  // negatives / positives over the training tracks, clamped to
  // [1, kMaxTagPosWeight]. Default: off.
  bool tags = false;
  float tag_weight = 1.0f;  // weight of the tag loss. Default: 1.
  AugmentOptions augment;
  // Stop after this many epochs without a better validation score;
  // 0 never stops early. Default: 0. The score is the validation macro-F1,
  // or, when no validation track has a quadrant label (tags alone), the
  // tags' macro ROC-AUC.
  int patience = 0;
  // Average the weights of the last K epochs into the kept model (0: keep
  // the best-by-validation epoch, or the last without validation).
  // Default: 0.
  int average_last = 0;
  // Validation scores tracks with the one track-inference path
  // (common/nn/track_inference.h), every window of every track. A cap of
  // this many windows per track (evenly spread) trades accuracy of the
  // figures for speed; reports say when it was on. 0: no cap. Default: 0.
  int eval_max_windows = 0;
  // With more than one rank, BatchNorm normalises each step with the mean
  // and variance of the whole global batch (all-reduced, forward and
  // backward: common/nn/sync_batch_norm.h), so N ranks x b train what 1
  // rank x N*b trains. Off: statistics of each rank's slice, as most
  // data-parallel trainers do by default (cheaper by two small all-reduces
  // per BatchNorm layer and step). Default: on.
  bool sync_batchnorm = true;
  uint64_t seed = 1;  // Default: 1.

  core::Status Validate() const;
  nlohmann::json ToJson() const;
  // The learning rate of epoch `epoch` (0-based): warm-up, then the
  // schedule.
  double LearningRate(int epoch) const;
  // A copy with the data's fields filled in (n_mels; num_tags from the
  // data's tag names with `tags`) and the model resolved; fails when the
  // data cannot train it (no tags for --tags, no labelled training track).
  core::Result<TrainerOptions> ForData(const TrainingData& data,
                                       const std::vector<int>& train) const;
};

struct TrainerRunOptions {
  int threads = 0;             // torch intra-op threads; 0 = leave. Default: 0.
  std::string device = "cpu";  // "cpu" or "cuda". Default: "cpu".
  int local_rank = 0;          // rank on this node (GPU binding). Default: 0.
  // Folder of checkpoint.pt (written every epoch); empty: none.
  std::string checkpoint_dir;
  bool resume = false;   // continue from checkpoint_dir's checkpoint
  // On resume with another rank count, the per-rank batch becomes the
  // checkpoint's global batch / ranks (set when the user gave no
  // --batch-size); otherwise a different global batch is refused.
  bool batch_follows_checkpoint = false;
  bool progress = true;  // a line per epoch on rank 0's stderr
  std::string label;     // prefix of progress lines ("fold 2/10")

  core::Status Validate() const;
};

struct EpochMetrics {
  int epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0;
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  double val_accuracy = std::numeric_limits<double>::quiet_NaN();
  double val_macro_f1 = std::numeric_limits<double>::quiet_NaN();
  // Macro ROC-AUC and PR-AUC (average precision) of the tags on the
  // validation tracks; NaN without tags.
  double val_tag_roc_auc = std::numeric_limits<double>::quiet_NaN();
  double val_tag_pr_auc = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;
  int64_t samples = 0;

  nlohmann::json ToJson() const;
  // Missing or null metrics read as NaN.
  static EpochMetrics FromJson(const nlohmann::json& j);
};

// Upper bound of a tag's positive weight (a tag on 1 of 500 tracks).
inline constexpr float kMaxTagPosWeight = 100.0f;

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_TRAINER_OPTIONS_H_
