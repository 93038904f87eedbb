// Internals of TrainModel (LibTorch): state broadcast, flattening, weight
// averaging, checkpoint files. Included only by trainer*.cc.
#ifndef MER_WORKER_TRAINER_STATE_H_
#define MER_WORKER_TRAINER_STATE_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/core/status.h"
#include "common/nn/emotion_model.h"
#include "worker/trainer.h"

namespace mer::worker::internal {

// Parameters then buffers, in registration order.
std::vector<torch::Tensor> StateTensors(const nn::EmotionModel& model);
std::vector<float> FlattenState(const nn::EmotionModel& model);
// Copies `flat` (FlattenState's layout) into the model.
void LoadFlatState(const nn::EmotionModel& model,
                   const std::vector<float>& flat);
// Rank 0's state replaces every other rank's.
void BroadcastState(const nn::EmotionModel& model, comm::Communicator& comm);

// Everything a resumed run needs, beside the model and optimizer.
struct LoopState {
  int epoch = 0;  // epochs completed
  std::vector<EpochMetrics> history;
  double best_f1 = -1;  // best selection score (macro-F1 or tag ROC-AUC)
  int best_epoch = 0;
  int since_best = 0;
  std::vector<float> best_state;     // flat, empty when none
  std::vector<float> average_state;  // flat running sum
  int averaged = 0;
  int64_t segments = 0;
  double seconds = 0;
};

// Writes model, optimizer, generator and loop state to DIR/checkpoint.pt
// (temp file + rename).
core::Status SaveCheckpoint(const std::string& dir,
                            const nn::EmotionModel& model,
                            torch::optim::Optimizer& optimizer,
                            const LoopState& loop,
                            const nlohmann::json& options_json);
// Reads DIR/checkpoint.pt from `bytes` (rank 0 reads the file and
// broadcasts it). Fails when the options that shape training differ.
core::Status LoadCheckpoint(const std::string& bytes, nn::EmotionModel model,
                            torch::optim::Optimizer& optimizer, LoopState* loop,
                            const nlohmann::json& options_json);
std::string CheckpointPath(const std::string& dir);

}  // namespace mer::worker::internal

#endif  // MER_WORKER_TRAINER_STATE_H_
