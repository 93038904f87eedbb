// A model's state (parameters, then buffers, in registration order) as one
// flat float vector: what ranks broadcast, what the model selector averages
// and keeps, what tests compare. LibTorch; included by the trainer's files.
#ifndef MER_WORKER_TRAIN_MODEL_STATE_H_
#define MER_WORKER_TRAIN_MODEL_STATE_H_

#include <vector>

#include "common/comm/communicator.h"
#include "common/nn/emotion_model.h"

namespace mer::worker {

std::vector<float> FlattenState(const nn::EmotionModel& model);
// Copies `flat` (FlattenState's layout) into the model.
void LoadFlatState(const nn::EmotionModel& model,
                   const std::vector<float>& flat);
// Rank 0's state replaces every other rank's. Collective.
void BroadcastState(const nn::EmotionModel& model, comm::Communicator& comm);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_MODEL_STATE_H_
