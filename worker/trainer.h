// TrainModel: data-parallel training of one emotion model (DESIGN.md §5).
// The header is torch-free; the implementation (trainer*.cc, library
// mer_train) holds LibTorch.
//
// Data parallelism, identical on every rank count:
//  1. rank 0's initial parameters and buffers are broadcast to every rank;
//  2. an epoch's samples are (track, crop) pairs, indexed 0..n-1 and
//     shuffled by a permutation seeded by (seed, epoch); step s covers
//     positions [s * N * b, (s + 1) * N * b) and rank r takes its b-slice;
//     every rank runs ceil(n / (N * b)) steps (a rank with no sample in a
//     step contributes zero gradients, never skips the collective);
//  3. a sample's crop and augmentation are a function of (seed, epoch,
//     sample index) only, so the rank layout never changes what it sees;
//  4. each rank scales its mean-loss gradient by its sample count over the
//     step's global count before the all-reduce average, so N ranks x b
//     equal 1 rank x N*b (BatchNorm statistics stay per rank, as in DDP);
//  5. validation predictions are summed over ranks, so every rank computes
//     the same metrics and takes the same early-stopping decision;
//  6. rank 0 writes the checkpoint (atomically) and the bundle.
//
// Thread-safety: one call at a time per process (LibTorch's global
// generator and thread settings are process-wide).
#ifndef MER_WORKER_TRAINER_H_
#define MER_WORKER_TRAINER_H_

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/core/result.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/metrics.h"
#include "common/nn/model_config.h"
#include "worker/data_split.h"
#include "worker/training_data.h"

namespace mer::worker {

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
  // Evaluation windows per track: hop in frames (0 = n_frames / 2) and at
  // most this many (0 = all). Default: 0, 16.
  int eval_hop_frames = 0;
  int eval_max_windows = 16;
  uint64_t seed = 1;           // Default: 1.
  int threads = 0;             // torch intra-op threads; 0 = leave. Default: 0.
  std::string device = "cpu";  // "cpu" or "cuda". Default: "cpu".
  int local_rank = 0;          // rank on this node (GPU binding)
  // Folder of checkpoint.pt (written every epoch); empty: none.
  std::string checkpoint_dir;
  bool resume = false;        // continue from checkpoint_dir's checkpoint
  bool progress = true;       // a line per epoch on rank 0's stderr
  std::string label;          // prefix of progress lines ("fold 2/10")
  bool return_state = false;  // fill TrainOutcome::final_state
  // Stop after this many epochs of this call (a test's "interrupted" run);
  // 0: run to `epochs`. The schedule still spans `epochs`. Default: 0.
  int stop_after = 0;

  core::Status Validate() const;
  nlohmann::json ToJson() const;
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
};

// Upper bound of a tag's positive weight (a tag on 1 of 500 tracks).
inline constexpr float kMaxTagPosWeight = 100.0f;

// Track-level predictions of a set of tracks.
struct TrackScores {
  std::vector<int> tracks;   // indices into TrainingData::tracks()
  std::vector<float> probs;  // [n][4] mean softmax over the windows
  std::vector<float> va;     // [n][2] mean V-A
  int num_tags = 0;          // the model's tag outputs (0: no tag head)
  std::vector<float> tag_probs;  // [n][num_tags] mean sigmoid
};

// Per-tag and macro ROC-AUC / PR-AUC of `s` against the tracks' tags
// (data.tag_names() order; s.num_tags must equal their count).
nn::TagReport EvaluateTrackTags(const TrainingData& data, const TrackScores& s);
// Per tag, the number of `tracks` that carry it.
std::vector<int64_t> TagPositives(const TrainingData& data,
                                  const std::vector<int>& tracks);

struct TrainOutcome {
  std::vector<EpochMetrics> history;
  int kept_epoch = 0;  // epoch whose weights were kept (0: average)
  bool stopped_early = false;
  TrackScores val;   // kept model on the validation tracks
  TrackScores test;  // kept model on the test tracks
  double train_seconds = 0;
  int64_t segments_trained = 0;  // all ranks
  std::string model_id;          // of the bundle written, if any
  // With TrainerOptions::return_state: parameters and buffers after the
  // last epoch, flattened in registration order (tests compare runs).
  std::vector<float> final_state;
};

struct BundleRequest {
  std::string path;             // where rank 0 writes the bundle
  nn::BundleManifest manifest;  // config, front end, digests are filled in
};

// Collective. `train`, `val`, `test` index data.tracks(); val and test may
// be empty. With `bundle`, rank 0 writes the kept model there.
core::Result<TrainOutcome> TrainModel(const TrainingData& data,
                                      const std::vector<int>& train,
                                      const std::vector<int>& val,
                                      const std::vector<int>& test,
                                      const TrainerOptions& options,
                                      comm::Communicator& comm,
                                      const BundleRequest* bundle = nullptr);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAINER_H_
