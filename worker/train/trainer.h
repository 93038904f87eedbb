// Trainer: data-parallel training of one emotion model (DESIGN.md §5). The
// header is torch-free; the implementation (library mer_train) holds
// LibTorch.
//
// Data parallelism, identical on every rank count:
//  1. rank 0's initial parameters and buffers are broadcast to every rank;
//  2. each step, every rank takes its slice of the step's samples
//     (BatchAssembler: a seeded permutation of (track, crop) pairs; a
//     sample's crop and augmentation depend on (seed, epoch, index) only);
//     every rank runs every step, contributing zero gradients when its
//     slice is empty, so no collective is ever skipped;
//  3. each rank scales its mean-loss gradient by its share of the step's
//     samples before the average (comm::GradientReducer: MPI over host
//     buffers, or NCCL over device buffers), so N ranks x b equal 1 rank x
//     N*b for models without BatchNorm; BatchNorm statistics stay per rank
//     during an epoch (as in PyTorch DDP) and rank 0's replace the others'
//     after it, so the parameters of a BatchNorm model drift from the
//     one-rank run;
//  4. validation scores tracks with the one track-inference path
//     (common/nn/track_inference.h), each rank a share of the tracks, the
//     sums over ranks giving every rank the same metrics and so the same
//     early-stopping decision (ModelSelector);
//  5. rank 0 writes the checkpoint after every epoch (CheckpointStore) and
//     the bundle at the end (BundleWriter).
//
//   MER_ASSIGN_OR_RETURN(auto trainer, Trainer::Create(data, split, options,
//                                                      run, world));
//   MER_RETURN_IF_ERROR(trainer->Run());
//   MER_ASSIGN_OR_RETURN(TrainOutcome out, trainer->Finish());
//
// Thread-safety: one Trainer at a time per process (LibTorch's generator
// and thread settings are process-wide). Collective: every rank of the
// communicator makes the same calls.
#ifndef MER_WORKER_TRAIN_TRAINER_H_
#define MER_WORKER_TRAIN_TRAINER_H_

#include <memory>
#include <vector>

#include "common/comm/communicator.h"
#include "common/comm/gradient_reducer.h"
#include "common/core/result.h"
#include "worker/train/batch_assembler.h"
#include "worker/train/model_selector.h"
#include "worker/train/track_scores.h"
#include "worker/train/trainer_options.h"
#include "worker/train/training_data.h"

namespace mer::worker {

class CheckpointStore;  // checkpoint_store.h (LibTorch)
class BundleWriter;     // bundle_writer.h (LibTorch)
struct BundleRequest;

// Indices into TrainingData::tracks(); val and test may be empty.
struct TrainSplit {
  std::vector<int> train, val, test;
};

struct TrainOutcome {
  std::vector<EpochMetrics> history;
  int kept_epoch = 0;  // epoch whose weights were kept (0: average)
  bool stopped_early = false;
  TrackScores val;   // kept model on the validation tracks
  TrackScores test;  // kept model on the test tracks
  double train_seconds = 0;
  int64_t segments_trained = 0;  // all ranks
  std::string model_id;          // of the bundle written, if any
};

class Trainer {
 public:
  // The trainer's collaborators; Create() makes the usual ones.
  struct Parts {
    std::unique_ptr<BatchAssembler> batches;           // required
    std::unique_ptr<comm::GradientReducer> gradients;  // required
    std::unique_ptr<ModelSelector> selector;           // required
    std::unique_ptr<CheckpointStore> checkpoints;      // null: none
    std::unique_ptr<BundleWriter> bundle;              // null: none
  };

  // Fills the data-dependent fields of `options` (n_mels, num_tags), checks
  // that the data can train them, and builds the parts: the batches of
  // split.train, the gradient reducer for the device (MakeGradientReducer),
  // the selector, a checkpoint store when run.checkpoint_dir is set, and a
  // bundle writer when `bundle` is given. Collective.
  static core::Result<std::unique_ptr<Trainer>> Create(
      const TrainingData& data, TrainSplit split, TrainerOptions options,
      const TrainerRunOptions& run, comm::Communicator& comm,
      const BundleRequest* bundle = nullptr);

  // `options` resolved for `data` (as Create does); builds the model and
  // the optimizer from rank 0's seeded initial weights. Collective.
  Trainer(const TrainingData& data, TrainSplit split,
          const TrainerOptions& options, const TrainerRunOptions& run,
          comm::Communicator& comm, Parts parts);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Trains until options.epochs epochs are done, the patience is used up,
  // or `max_epochs` more epochs ran (0: no such limit). The first call of a
  // run with run.resume continues from the checkpoint. Collective.
  core::Status Run(int max_epochs = 0);
  // Loads the kept weights (ModelSelector), scores the validation and test
  // tracks, writes the bundle when there is a writer. Collective; call
  // once, after Run.
  core::Result<TrainOutcome> Finish();

  // Epochs completed so far (with those of a resumed checkpoint).
  int epochs_done() const;
  const std::vector<EpochMetrics>& history() const;
  // The model's parameters and buffers, flattened in registration order.
  std::vector<float> FlatState() const;
  // Track-level scores of `tracks` by the current weights. Collective.
  TrackScores Score(const std::vector<int>& tracks);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Create + Run + Finish.
core::Result<TrainOutcome> TrainModel(const TrainingData& data,
                                      TrainSplit split,
                                      const TrainerOptions& options,
                                      const TrainerRunOptions& run,
                                      comm::Communicator& comm,
                                      const BundleRequest* bundle = nullptr);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_TRAINER_H_
