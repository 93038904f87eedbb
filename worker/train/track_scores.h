// TrackScores: track-level predictions of a set of training tracks, and the
// metrics training selects and reports by (torch-free).
#ifndef MER_WORKER_TRAIN_TRACK_SCORES_H_
#define MER_WORKER_TRAIN_TRACK_SCORES_H_

#include <cstdint>
#include <vector>

#include "common/nn/metrics.h"
#include "worker/train/training_data.h"

namespace mer::worker {

struct TrackScores {
  std::vector<int> tracks;       // indices into TrainingData::tracks()
  std::vector<float> probs;      // [n][4] mean softmax over the windows
  std::vector<float> va;         // [n][2] mean V-A
  int num_tags = 0;              // the model's tag outputs (0: no tag head)
  std::vector<float> tag_probs;  // [n][num_tags] mean sigmoid
};

// Accuracy, macro-F1 and mean cross-entropy of the tracks of `s` with a
// quadrant label; NaN when none has one.
struct Classification {
  double accuracy = 0, macro_f1 = 0, loss = 0;
};
Classification Classify(const TrainingData& data, const TrackScores& s);

// Per-tag and macro ROC-AUC / PR-AUC of `s` against the tracks' tags
// (data.tag_names() order; s.num_tags must equal their count).
nn::TagReport EvaluateTrackTags(const TrainingData& data, const TrackScores& s);
// Per tag, the number of `tracks` that carry it.
std::vector<int64_t> TagPositives(const TrainingData& data,
                                  const std::vector<int>& tracks);
// Per tag: negatives / positives over `train`, clamped to
// [1, kMaxTagPosWeight] (a tag no training track carries gets the bound).
std::vector<float> TagPosWeights(const TrainingData& data,
                                 const std::vector<int>& train);

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_TRACK_SCORES_H_
