// Trainer::Impl, shared by the trainer's two files: trainer.cc (building,
// resuming, the epochs) and trainer_results.cc (scoring, the bundle and
// the end of a run). Private to worker/train; LibTorch.
#ifndef MER_WORKER_TRAIN_TRAINER_IMPL_H_
#define MER_WORKER_TRAIN_TRAINER_IMPL_H_

#include <fmt/format.h>
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/comm/communicator.h"
#include "common/nn/emotion_model.h"
#include "common/nn/model_loss.h"
#include "common/nn/predictor.h"
#include "common/nn/track_inference.h"
#include "worker/train/batch_assembler.h"
#include "worker/train/checkpoint_store.h"
#include "worker/train/trainer.h"

namespace mer::worker {

struct Trainer::Impl {
  Impl(const TrainingData& d, TrainSplit s, const TrainerOptions& o,
       const TrainerRunOptions& r, comm::Communicator& c, Parts p)
      : data(d),
        split(std::move(s)),
        options(o),
        run(r),
        comm(c),
        parts(std::move(p)) {}

  void Build();
  core::Status Resume();
  core::Status RunEpoch();
  void TrainStep(int step, double* loss_sum, int64_t* samples);
  void StandInStep();
  core::Status SyncGradients();
  void Validate(EpochMetrics* m);
  TrackScores Score(const std::vector<int>& tracks);
  nlohmann::json ValidationJson(const TrackScores& val) const;
  std::string WrittenBundle();
  void RecordBundle(const std::string& model_id);
  void PrintProgress(const EpochMetrics& m) const;
  // A line about the run on rank 0's stderr, beside the epoch lines (so
  // that a batch job's output has it at the default log level).
  template <typename... Args>
  void Note(fmt::format_string<Args...> f, Args&&... args) const {
    if (comm.rank() != 0 || !run.progress) return;
    fmt::print(stderr, "{}{}\n", Prefix(": "),
               fmt::format(f, std::forward<Args>(args)...));
  }
  void NoteLayout();
  std::string Prefix(const char* sep) const {
    return run.label.empty() ? std::string() : run.label + sep;
  }

  const TrainingData& data;
  const TrainSplit split;
  TrainerOptions options;  // batch_size may follow a resumed checkpoint
  const TrainerRunOptions run;
  comm::Communicator& comm;
  Parts parts;

  torch::Device device{torch::kCPU};
  nn::EmotionModel model{nullptr};
  std::vector<torch::Tensor> params;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  nn::LossOptions loss;
  std::optional<nn::Predictor> predictor;  // the live model, for scoring
  std::optional<nn::TrackInference> inference;
  TrainingProgress progress;
  TrainingBatch batch;
  bool resumed = false;  // the checkpoint was consulted
  bool val_quadrants = false;
  bool sync_batchnorm = false;  // options.sync_batchnorm on more than 1 rank
  int epochs_run_here = 0;      // by this process (not a resumed checkpoint)
};

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_TRAINER_IMPL_H_
