// CheckpointStore: the checkpoint of a training run (DESIGN.md §5), written
// after every epoch so that `--resume` continues exactly where a killed run
// stopped. LibTorch; included by the trainer's files.
//
// DIR/checkpoint.pt holds the model's state, the optimizer's, LibTorch's
// generator, and the TrainingProgress (epochs done, history, the model
// selector's state, counters), plus the training settings it was made with.
// Rank 0 writes it atomically (core::AtomicFile: temp file, fsync, rename,
// fsync of the folder), so a crash or a power cut leaves the previous
// epoch's checkpoint or this one, never a torn file. On resume rank 0 reads
// it and broadcasts the bytes; a checkpoint made with other settings is
// refused, naming what differs ("epochs 2 -> 3").
//
// The batch is compared as the global batch (ranks x per-rank batch): a
// run may resume on another rank count with the same global batch, and
// then trains the same samples in every step (BatchAssembler lays every
// step out the same way over any rank count); only dropout masks, drawn
// per rank, differ. With `batch_follows` (the user gave no per-rank
// batch) the per-rank batch follows the checkpoint's global batch when the
// rank count divides it; otherwise a different global batch is refused,
// saying which --batch-size keeps it.
//
// Collective: every rank calls Save and Load, and every rank gets the same
// answer, so no rank goes on alone into the next collective.
#ifndef MER_WORKER_TRAIN_CHECKPOINT_STORE_H_
#define MER_WORKER_TRAIN_CHECKPOINT_STORE_H_

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/core/result.h"
#include "common/nn/emotion_model.h"
#include "worker/train/model_selector.h"
#include "worker/train/trainer_options.h"

namespace mer::worker {

// Everything a resumed run needs beside the model and the optimizer.
struct TrainingProgress {
  int epoch = 0;  // epochs completed
  std::vector<EpochMetrics> history;
  ModelSelector::State selection;
  int64_t segments = 0;  // trained so far, all ranks
  double seconds = 0;    // of training so far
};

class CheckpointStore {
 public:
  // `settings`: TrainerOptions::ToJson() of the run. `comm` is not owned.
  CheckpointStore(std::string dir, nlohmann::json settings,
                  comm::Communicator* comm, bool batch_follows = false);

  std::string path() const;

  // Rank 0 writes the checkpoint; fails on every rank when it could not.
  core::Status Save(const nn::EmotionModel& model,
                    torch::optim::Optimizer& optimizer,
                    const TrainingProgress& progress);
  // True after loading; false when there is no checkpoint (start afresh);
  // an error when it cannot be read or was made with other settings.
  core::Result<bool> Load(nn::EmotionModel model,
                          torch::optim::Optimizer& optimizer,
                          TrainingProgress* progress);

  // The per-rank batch this run trains with: the settings' batch_size, or,
  // after Load with batch_follows, the checkpoint's global batch / ranks.
  int batch_size() const { return settings_["batch_size"].get<int>(); }

 private:
  core::Status Parse(const std::string& bytes, nn::EmotionModel model,
                     torch::optim::Optimizer& optimizer,
                     TrainingProgress* progress);
  // Reconciles the checkpoint's global batch with this run's (see above).
  core::Status MatchGlobalBatch(int64_t then_global, int then_ranks);

  std::string dir_;
  nlohmann::json settings_;
  comm::Communicator* comm_;  // not owned
  bool batch_follows_;
};

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_CHECKPOINT_STORE_H_
