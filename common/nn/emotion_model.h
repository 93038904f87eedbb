// EmotionModel: the base of every architecture (DESIGN.md §5) and the
// factory that builds one from a ModelConfig.
//
//   MER_ASSIGN_OR_RETURN(EmotionModel model, MakeModel(config));
//   ModelOutput out = model->forward(log_mel);   // [B, n_mels, T] dB
//   // with a descriptor branch: [B, n_mels + descriptor_rows, T]
//
// Every architecture is a trunk (conv / recurrent layers, in architectures.h)
// followed by the same heads, so the trainer, the loss and the predictor
// never look at the architecture. Registered module names are stable (they
// are the keys of saved weights): "input_bn" (batchnorm input only), the
// trunk's ("blocks", "gru", "cnn", "lstm", "att_hidden", "att_score"), then
// "stats_bn", "stats_fc" (stats_dim > 0), "descriptor_bn", "descriptor_fc"
// (descriptor_dim > 0), "embed" (embedding_dim > 0),
// "quadrant_head" (quadrant_head "softmax") or the parameter
// "quadrant_scale" ("va"), "va_head", "tag_head" (num_tags > 0). An
// ensemble's are its members' under "member0.", "member1.", ...
//
// Ownership: EmotionModel is a torch::nn::ModuleHolder (a shared pointer).
// Thread-safety: like any torch module, one thread at a time (forward in
// train mode updates BatchNorm statistics).
#ifndef MER_COMMON_NN_EMOTION_MODEL_H_
#define MER_COMMON_NN_EMOTION_MODEL_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <utility>
#include <vector>

#include "common/core/result.h"
#include "common/nn/model_config.h"

namespace mer::nn {

struct ModelOutput {
  torch::Tensor embedding;        // [B, E]: the activation before the heads
  torch::Tensor quadrant_logits;  // [B, num_quadrants]
  torch::Tensor va;               // [B, 2]: valence, arousal in (-1, 1)
  torch::Tensor tag_logits;       // [B, num_tags]; undefined when no tags
};

class EmotionModelImpl : public torch::nn::Module {
 public:
  // `x`: [B, n_mels, T] float32 log-mel in dB, T >= config().MinFrames(),
  // followed by config().descriptor_rows descriptor rows when the model has
  // a descriptor branch.
  // Throws c10::Error on a wrong shape (callers at a boundary catch it).
  // An ensemble (EnsembleImpl) overrides it.
  virtual ModelOutput forward(const torch::Tensor& x);

  // The resolved config the model was built from.
  const ModelConfig& config() const { return config_; }
  int64_t embedding_dim() const { return embedding_dim_; }

 protected:
  explicit EmotionModelImpl(ModelConfig resolved);
  // Normalised input [B, n_mels, T] -> features [B, trunk_dim].
  virtual torch::Tensor Trunk(const torch::Tensor& x) = 0;
  // Called last by each architecture's constructor.
  void RegisterHeads(int64_t trunk_dim);
  // For a model without heads of its own (an ensemble).
  void set_embedding_dim(int64_t dim) { embedding_dim_ = dim; }
  // Per row of x [B, R, T] over time: mean, standard deviation, mean
  // |frame-to-frame change|, as [B, 3R].
  torch::Tensor RowStatistics(const torch::Tensor& x) const;

 private:
  ModelConfig config_;
  int64_t embedding_dim_ = 0;
  torch::nn::BatchNorm1d input_bn_{nullptr};
  torch::nn::BatchNorm1d stats_bn_{nullptr};
  torch::nn::Linear stats_fc_{nullptr};
  torch::nn::BatchNorm1d descriptor_bn_{nullptr};
  torch::nn::Linear descriptor_fc_{nullptr};
  torch::nn::Linear embed_{nullptr};
  torch::nn::Linear quadrant_head_{nullptr};  // "softmax" quadrant head
  torch::Tensor quadrant_scale_;              // "va" head: log of k_v, k_a
  torch::nn::Linear va_head_{nullptr};
  torch::nn::Linear tag_head_{nullptr};
};
TORCH_MODULE(EmotionModel);

// Builds the architecture `config.arch` from the resolved, validated config,
// with weights initialised from torch's global generator (seed it with
// torch::manual_seed for reproducible runs). InvalidArgument on a bad config.
core::Result<EmotionModel> MakeModel(const ModelConfig& config);

// Rewrites `model`, in eval mode, for inference on the CPU: every conv
// block folds its BatchNorm into its convolution and runs channels-last,
// max-pooling before ELU (ConvBlockImpl::FuseForInference). Outputs equal
// the unfused model's up to float rounding (about 1e-7 on the shipped
// model), at about twice the speed of the conv stack. Irreversible: only for
// a model that will not train again (the Predictor's own copy). The state
// dict then holds the folded weights, so do not save the model afterwards.
// Precision::kBFloat16 also stores the conv weights and runs the conv
// stacks in bfloat16 (the recurrent layers and heads stay float32): about
// 1.5x the float32 model's rate on a CPU with AVX512-BF16 or AMX, much
// slower on one without; outputs change by about 1e-3 (scripts/bench/
// precision-4q.sh measures what that does to the labels).
enum class Precision { kFloat32, kBFloat16 };
void FuseForInference(EmotionModel& model,
                      Precision precision = Precision::kFloat32);

// The model's parameters in registration order: the same order on every rank
// for the same config, which a bucketed gradient all-reduce relies on.
std::vector<torch::Tensor> OrderedParameters(const EmotionModel& model);
// Parameters then buffers (BatchNorm statistics), named, in registration
// order: what rank 0 broadcasts so every rank starts from the same state.
std::vector<std::pair<std::string, torch::Tensor>> OrderedState(
    const EmotionModel& model);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_EMOTION_MODEL_H_
