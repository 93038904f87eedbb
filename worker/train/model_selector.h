// ModelSelector: which weights a training run keeps (DESIGN.md §5), and when
// it stops early. Torch-free: weights are seen as flat float vectors
// (worker/train/model_state.h's layout).
//
// The kept model is, in order of precedence:
//  1. the average of the weights after each of the last `average_last`
//     epochs (kept_epoch 0);
//  2. the epoch with the best validation score, when there was validation;
//  3. the last epoch.
// With `patience` > 0 training stops once that many epochs in a row brought
// no better validation score.
//
// Thread-safety: one thread at a time.
#ifndef MER_WORKER_TRAIN_MODEL_SELECTOR_H_
#define MER_WORKER_TRAIN_MODEL_SELECTOR_H_

#include <functional>
#include <vector>

namespace mer::worker {

class ModelSelector {
 public:
  // What a checkpoint stores to resume the selection exactly.
  struct State {
    double best_score = -1;
    int best_epoch = 0;  // 1-based; 0: none yet
    int since_best = 0;
    std::vector<float> best_state;   // empty: none
    std::vector<float> average_sum;  // running sum of the averaged epochs
    int averaged = 0;
  };

  ModelSelector(int epochs, int average_last, int patience);

  // After epoch `epoch` (1-based) with validation `score` (NaN: none this
  // epoch). `weights` is called only when the weights are needed.
  void Observe(int epoch, double score,
               const std::function<std::vector<float>()>& weights);
  // The patience is used up: stop before the next epoch.
  bool ShouldStop() const;
  // The weights to keep after epoch `last_epoch`: the average, the best, or
  // an empty vector for "the current weights". `kept_epoch` gets the epoch
  // kept (0 for an average).
  std::vector<float> Kept(int last_epoch, int* kept_epoch) const;

  const State& state() const { return state_; }
  void set_state(State state) { state_ = std::move(state); }

 private:
  const int epochs_, average_last_, patience_;
  State state_;
};

}  // namespace mer::worker

#endif  // MER_WORKER_TRAIN_MODEL_SELECTOR_H_
