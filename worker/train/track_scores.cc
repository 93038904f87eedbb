#include "worker/train/track_scores.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/core/check.h"
#include "worker/train/trainer_options.h"

namespace mer::worker {

Classification Classify(const TrainingData& data, const TrackScores& s) {
  std::vector<int> truth, pred = nn::ArgmaxRows(s.probs, 4);
  double loss = 0;
  int counted = 0;
  for (size_t k = 0; k < s.tracks.size(); ++k) {
    const int q = data.tracks()[s.tracks[k]].quadrant;
    truth.push_back(q);
    if (q >= 0) {
      loss -= std::log(std::max(1e-7f, s.probs[k * 4 + q]));
      ++counted;
    }
  }
  if (counted == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan};
  }
  const nn::ClassificationReport r = nn::EvaluateClassification(truth, pred, 4);
  return {r.accuracy, r.macro_f1, loss / counted};
}

nn::TagReport EvaluateTrackTags(const TrainingData& data,
                                const TrackScores& s) {
  const int k = s.num_tags;
  MER_CHECK(k > 0 && static_cast<size_t>(k) == data.tag_names().size());
  std::vector<int> labels;
  std::vector<double> scores(s.tag_probs.begin(), s.tag_probs.end());
  for (int i : s.tracks) {
    const std::vector<uint8_t>& tags = data.tracks()[i].tags;
    labels.insert(labels.end(), tags.begin(), tags.end());
  }
  return nn::EvaluateTags(labels, scores, k);
}

std::vector<int64_t> TagPositives(const TrainingData& data,
                                  const std::vector<int>& tracks) {
  std::vector<int64_t> n(data.tag_names().size(), 0);
  for (int i : tracks) {
    const std::vector<uint8_t>& tags = data.tracks()[i].tags;
    for (size_t t = 0; t < tags.size() && t < n.size(); ++t) n[t] += tags[t];
  }
  return n;
}

std::vector<float> TagPosWeights(const TrainingData& data,
                                 const std::vector<int>& train) {
  std::vector<float> w;
  for (int64_t pos : TagPositives(data, train)) {
    const double neg = static_cast<double>(train.size()) - pos;
    const double r = pos > 0 ? neg / pos : kMaxTagPosWeight;
    w.push_back(
        static_cast<float>(std::clamp(r, 1.0, double{kMaxTagPosWeight})));
  }
  return w;
}

}  // namespace mer::worker
