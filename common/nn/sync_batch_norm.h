// Synchronised BatchNorm for data-parallel training (DESIGN.md §6): while a
// BatchNormSync is installed on the calling thread, every BatchNorm of the
// models normalises a training batch with the mean and variance of the
// whole global batch (all ranks' samples), updates its running statistics
// with them, and its backward pass sums the statistics' gradients over the
// ranks too: N ranks with batch b compute what one rank with batch N x b
// computes (PyTorch's and Horovod's SyncBatchNorm do the same).
//
//   BatchNormSync sync([&](double* v, size_t n) { comm.AllreduceSum(v, n); });
//   ModelOutput out = model->forward(x);   // reductions in forward ...
//   loss.backward();                       // ... and in backward
//
// The models call ForwardBatchNorm instead of bn->forward: without an
// installed sync, or in eval mode, it is bn->forward.
//
// Every rank must run the same layers in the same order (each BatchNorm
// makes one reduction forward and one backward). A rank without samples in
// a step still takes part: it runs a stand-in batch with
// set_contributes(false), which adds nothing to the statistics.
//
// Ownership: the sync must outlive the backward passes of the forward
// passes it served. Thread-safety: installed for the constructing thread
// only; the backward passes of CPU tensors run on the thread that calls
// backward(), and CUDA ones read the pointer saved in the graph.
#ifndef MER_COMMON_NN_SYNC_BATCH_NORM_H_
#define MER_COMMON_NN_SYNC_BATCH_NORM_H_

#include <torch/nn/modules/batchnorm.h>

#include <cstddef>
#include <functional>

namespace mer::nn {

class BatchNormSync {
 public:
  // `sum` adds `n` doubles in place over the ranks (an all-reduce).
  using SumFn = std::function<void(double* values, size_t n)>;

  explicit BatchNormSync(SumFn sum);
  ~BatchNormSync();
  BatchNormSync(const BatchNormSync&) = delete;
  BatchNormSync& operator=(const BatchNormSync&) = delete;

  // false: this rank's forward passes add nothing to the statistics (a
  // stand-in batch on a rank without samples). Default: true.
  void set_contributes(bool contributes) { contributes_ = contributes; }
  bool contributes() const { return contributes_; }

  void Sum(double* values, size_t n) const { sum_(values, n); }

  // The sync installed on this thread, or nullptr.
  static BatchNormSync* Current();

 private:
  SumFn sum_;
  bool contributes_ = true;
  BatchNormSync* previous_;
};

// bn->forward(x), or, in training mode with a BatchNormSync installed, the
// synchronised normalisation. x: [B, C] or [B, C, L] (1d), [B, C, H, W]
// (2d).
torch::Tensor ForwardBatchNorm(torch::nn::BatchNorm1dImpl& bn,
                               const torch::Tensor& x);
torch::Tensor ForwardBatchNorm(torch::nn::BatchNorm2dImpl& bn,
                               const torch::Tensor& x);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_SYNC_BATCH_NORM_H_
