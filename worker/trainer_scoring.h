// Scoring inside TrainModel (worker/trainer.h): track-level predictions of a
// set of tracks across ranks, the classification metrics the trainer selects
// epochs by, and the tag loss's positive weights. Internal to mer_train.
//
// Thread-safety: as TrainModel (one call at a time per process).
#ifndef MER_WORKER_TRAINER_SCORING_H_
#define MER_WORKER_TRAINER_SCORING_H_

#include <vector>

#include "common/comm/communicator.h"
#include "common/nn/emotion_model.h"
#include "worker/trainer.h"
#include "worker/training_data.h"

namespace mer::worker::internal {

// Track-level scores of `tracks` (indices into data.tracks()): rank r
// predicts tracks i % N == r over up to o.eval_max_windows windows each; the
// sums over ranks give every rank all of them. Collective.
TrackScores ScoreTracks(nn::EmotionModel& model, const TrainingData& data,
                        const std::vector<int>& tracks, const TrainerOptions& o,
                        const torch::Device& device, comm::Communicator& comm);

// Accuracy, macro-F1 and mean cross-entropy of the tracks of `s` with a
// quadrant label; NaN when none has one.
void Classify(const TrainingData& data, const TrackScores& s, double* accuracy,
              double* macro_f1, double* loss);

// Per tag: negatives / positives over `train`, clamped to
// [1, kMaxTagPosWeight] (a tag no training track carries gets the bound).
std::vector<float> TagPosWeights(const TrainingData& data,
                                 const std::vector<int>& train);

}  // namespace mer::worker::internal

#endif  // MER_WORKER_TRAINER_SCORING_H_
