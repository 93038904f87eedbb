// The trunks of the six architectures (see model_config.h for what each
// does). Internal to common/nn: other code builds models with MakeModel().
#ifndef MER_COMMON_NN_ARCHITECTURES_H_
#define MER_COMMON_NN_ARCHITECTURES_H_

#include <torch/torch.h>

#include "common/nn/emotion_model.h"

namespace mer::nn {

// conv3x3 (same padding) -> BatchNorm2d -> ELU -> max-pool (pool_f x pool_t,
// skipped when 1 x 1) -> dropout. Names: "conv", "bn".
class ConvBlockImpl : public torch::nn::Module {
 public:
  ConvBlockImpl(int in_channels, int out_channels, int pool_f, int pool_t,
                float dropout);
  torch::Tensor forward(torch::Tensor x);

  // Rewrites the block for inference (see FuseForInference in
  // emotion_model.h): folds the BatchNorm's running statistics and affine
  // parameters into the convolution's weight and bias, stores the weight
  // channels-last, and from then on forward() computes
  // conv -> max-pool -> ELU on channels-last activations. Max-pooling
  // before ELU is exact (ELU is monotonic, so max(elu(a), elu(b)) =
  // elu(max(a, b))) and applies ELU to a pool's worth fewer values.
  // Irreversible; forward() then refuses training mode.
  // `bfloat16`: the folded weights, and activations from this block's input
  // on, are bfloat16 (oneDNN's AVX512-BF16/AMX kernels); `float_output`:
  // the block hands float32 on (the stack's last block).
  void FuseForInference(bool bfloat16 = false, bool float_output = true);

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  int pool_f_, pool_t_;
  float dropout_;
  bool fused_ = false;
  bool bfloat16_ = false;
  bool float_output_ = true;
};
TORCH_MODULE(ConvBlock);

// The conv blocks of `c` (channels, freq_pools, time_pools) in a Sequential;
// input [B, 1, n_mels, T], output [B, C, rows, T / prod(time_pools)].
torch::nn::Sequential MakeConvStack(const ModelConfig& c);

class CnnImpl : public EmotionModelImpl {
 public:
  explicit CnnImpl(ModelConfig c);

 protected:
  torch::Tensor Trunk(const torch::Tensor& x) override;

 private:
  torch::nn::Sequential blocks_{nullptr};
};

class CrnnImpl : public EmotionModelImpl {
 public:
  explicit CrnnImpl(ModelConfig c);
  // The conv stack's output for `x` (after normalisation): [B, C, 1, T'].
  torch::Tensor ConvFeatures(const torch::Tensor& normalised);

 protected:
  torch::Tensor Trunk(const torch::Tensor& x) override;

 private:
  torch::nn::Sequential blocks_{nullptr};
  torch::nn::GRU gru_{nullptr};
};

class PcrnnImpl : public EmotionModelImpl {
 public:
  explicit PcrnnImpl(ModelConfig c);

 protected:
  torch::Tensor Trunk(const torch::Tensor& x) override;

 private:
  torch::nn::Sequential blocks_{nullptr};
  torch::nn::GRU gru_{nullptr};
};

class RnnImpl : public EmotionModelImpl {
 public:
  explicit RnnImpl(ModelConfig c);

 protected:
  torch::Tensor Trunk(const torch::Tensor& x) override;

 private:
  torch::nn::GRU gru_{nullptr};
};

class AttnLstmImpl : public EmotionModelImpl {
 public:
  explicit AttnLstmImpl(ModelConfig c);

 protected:
  torch::Tensor Trunk(const torch::Tensor& x) override;

 private:
  torch::nn::Sequential blocks_{nullptr};  // empty holder without conv front
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Linear att_hidden_{nullptr};
  torch::nn::Linear att_score_{nullptr};
};

// The classic model: no trunk; the embedding is the statistics branches'
// features (RegisterHeads adds them).
class MlpImpl : public EmotionModelImpl {
 public:
  explicit MlpImpl(ModelConfig c);

 protected:
  torch::Tensor Trunk(const torch::Tensor& x) override;
};

// Several trained models on the same windows (ModelConfig::members): each
// member reads its prefix of the input rows; V-A and quadrant
// probabilities are averaged with member_weights (the quadrant logits are
// the log of the averaged probabilities), the embeddings set side by side.
// For "va" members the mood then follows the averaged V-A point (with the
// bundle's calibration), so it stays one emotion per track.
class EnsembleImpl : public EmotionModelImpl {
 public:
  explicit EnsembleImpl(ModelConfig c);
  ModelOutput forward(const torch::Tensor& x) override;
  const std::vector<EmotionModel>& members() const { return members_; }

 protected:
  torch::Tensor Trunk(const torch::Tensor& x) override;

 private:
  std::vector<EmotionModel> members_;
};

// [B, M, T] -> [B, T / pool, M] (average over `pool` frames), for recurrent
// layers that read frames.
torch::Tensor FramesForRnn(const torch::Tensor& x, int pool);
// The last time step of a batch-first recurrent output [B, T, H] -> [B, H].
torch::Tensor LastStep(const torch::Tensor& seq);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_ARCHITECTURES_H_
