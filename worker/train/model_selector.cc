#include "worker/train/model_selector.h"

#include <cmath>

namespace mer::worker {

ModelSelector::ModelSelector(int epochs, int average_last, int patience)
    : epochs_(epochs), average_last_(average_last), patience_(patience) {}

void ModelSelector::Observe(
    int epoch, double score,
    const std::function<std::vector<float>()>& weights) {
  std::vector<float> now;
  if (!std::isnan(score)) {
    if (score > state_.best_score) {
      state_.best_score = score;
      state_.best_epoch = epoch;
      state_.since_best = 0;
      now = weights();
      state_.best_state = now;
    } else {
      ++state_.since_best;
    }
  }
  if (average_last_ > 0 && epoch > epochs_ - average_last_) {
    if (now.empty()) now = weights();
    if (state_.average_sum.empty()) state_.average_sum.assign(now.size(), 0.0f);
    for (size_t i = 0; i < now.size(); ++i) state_.average_sum[i] += now[i];
    ++state_.averaged;
  }
}

bool ModelSelector::ShouldStop() const {
  return patience_ > 0 && state_.since_best >= patience_;
}

std::vector<float> ModelSelector::Kept(int last_epoch, int* kept_epoch) const {
  if (state_.averaged > 0) {
    std::vector<float> avg = state_.average_sum;
    for (float& v : avg) v /= static_cast<float>(state_.averaged);
    *kept_epoch = 0;
    return avg;
  }
  if (!state_.best_state.empty()) {
    *kept_epoch = state_.best_epoch;
    return state_.best_state;
  }
  *kept_epoch = last_epoch;
  return {};
}

}  // namespace mer::worker
