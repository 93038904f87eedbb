#include "common/nn/emotion_model.h"

#include <torch/torch.h>

#include <cmath>
#include <memory>

#include "common/nn/architectures.h"
#include "common/nn/sync_batch_norm.h"

namespace mer::nn {

EmotionModelImpl::EmotionModelImpl(ModelConfig resolved)
    : config_(std::move(resolved)) {
  if (config_.input_norm == "batchnorm") {
    input_bn_ =
        register_module("input_bn", torch::nn::BatchNorm1d(config_.n_mels));
  }
}

void EmotionModelImpl::RegisterHeads(int64_t trunk_dim) {
  if (config_.stats_dim > 0) {
    stats_bn_ =
        register_module("stats_bn", torch::nn::BatchNorm1d(3 * config_.n_mels));
    stats_fc_ = register_module(
        "stats_fc", torch::nn::Linear(3 * config_.n_mels, config_.stats_dim));
    trunk_dim += config_.stats_dim;
  }
  if (config_.descriptor_dim > 0) {
    const int64_t in = 3 * config_.descriptor_rows;
    descriptor_bn_ =
        register_module("descriptor_bn", torch::nn::BatchNorm1d(in));
    descriptor_fc_ = register_module(
        "descriptor_fc", torch::nn::Linear(in, config_.descriptor_dim));
    trunk_dim += config_.descriptor_dim;
  }
  embedding_dim_ = trunk_dim;
  if (config_.embedding_dim > 0) {
    embed_ = register_module(
        "embed", torch::nn::Linear(trunk_dim, config_.embedding_dim));
    embedding_dim_ = config_.embedding_dim;
  }
  if (config_.quadrant_head == "va") {
    // k = 2 at the start: a V-A output of +-0.5 means about 0.73 per axis.
    quadrant_scale_ = register_parameter(
        "quadrant_scale", torch::full({2}, std::log(2.0), torch::kFloat));
  } else {
    quadrant_head_ = register_module(
        "quadrant_head",
        torch::nn::Linear(embedding_dim_, config_.num_quadrants));
  }
  va_head_ = register_module("va_head", torch::nn::Linear(embedding_dim_, 2));
  if (config_.num_tags > 0) {
    tag_head_ = register_module(
        "tag_head", torch::nn::Linear(embedding_dim_, config_.num_tags));
  }
}

torch::Tensor EmotionModelImpl::RowStatistics(const torch::Tensor& x) const {
  // Outside training the standard deviation is taken in two plain passes:
  // LibTorch 1.13's std kernel over the last dimension is about 15x slower,
  // and equal up to float rounding (~1e-7). Training keeps torch::std, whose
  // gradient is defined at a constant row.
  const torch::Tensor mean = x.mean(2, /*keepdim=*/true);
  const torch::Tensor std = is_training()
                                ? x.std(2, /*unbiased=*/false)
                                : (x - mean).square_().mean(2).sqrt_();
  return torch::cat(
      {mean.squeeze(2), std,
       (x.narrow(2, 1, x.size(2) - 1) - x.narrow(2, 0, x.size(2) - 1))
           .abs()
           .mean(2)},
      1);
}

ModelOutput EmotionModelImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 3, "model input must be [batch, rows, frames], got ",
              x.sizes());
  TORCH_CHECK(x.size(1) == config_.InputRows(), "model expects ",
              config_.n_mels, " mel bands and ", config_.descriptor_rows,
              " descriptor rows, input has ", x.size(1), " rows");
  TORCH_CHECK(x.size(2) >= config_.MinFrames(), "model (", config_.arch,
              ") needs at least ", config_.MinFrames(), " frames, input has ",
              x.size(2));
  const torch::Tensor mel =
      config_.descriptor_rows > 0 ? x.narrow(1, 0, config_.n_mels) : x;
  torch::Tensor h = input_bn_
                        ? ForwardBatchNorm(*input_bn_, mel)
                        : (mel + config_.input_offset) * config_.input_scale;
  torch::Tensor stats;
  if (stats_fc_) {
    // Per band over the segment: mean, standard deviation, mean |delta|.
    stats = torch::elu(
        stats_fc_->forward(ForwardBatchNorm(*stats_bn_, RowStatistics(h))));
  }
  torch::Tensor descriptors;
  if (descriptor_fc_) {
    // The same three per descriptor row, on the raw values: the BatchNorm
    // brings Hz, dB, BPM and unit-range rows to one scale.
    descriptors = torch::elu(descriptor_fc_->forward(ForwardBatchNorm(
        *descriptor_bn_,
        RowStatistics(
            x.narrow(1, config_.n_mels, config_.descriptor_rows)))));
  }
  if (config_.arch != "mlp" &&
      (config_.input_freq_pool > 1 || config_.input_time_pool > 1)) {
    h = torch::avg_pool2d(h.unsqueeze(1),
                          {config_.input_freq_pool, config_.input_time_pool})
            .squeeze(1);
  }
  h = Trunk(h);
  if (stats.defined()) h = torch::cat({h, stats}, 1);
  if (descriptors.defined()) h = torch::cat({h, descriptors}, 1);
  if (embed_) h = torch::elu(embed_->forward(h));
  ModelOutput out;
  out.embedding = h;
  const torch::Tensor z = va_head_->forward(h);
  out.va = torch::tanh(z);
  if (quadrant_head_) {
    out.quadrant_logits = quadrant_head_->forward(h);
  } else {
    // log P(sign) per axis; the quadrants' logits are sums of two, so their
    // softmax is the product P(V sign) x P(A sign): happy (+,+), tense
    // (-,+), sad (-,-), calm (+,-).
    const torch::Tensor s = z * quadrant_scale_.exp();
    const torch::Tensor pos = torch::log_sigmoid(s),
                        neg = torch::log_sigmoid(-s);
    const auto v = [](const torch::Tensor& t) { return t.select(1, 0); };
    const auto a = [](const torch::Tensor& t) { return t.select(1, 1); };
    out.quadrant_logits = torch::stack(
        {v(pos) + a(pos), v(neg) + a(pos), v(neg) + a(neg), v(pos) + a(neg)},
        1);
  }
  if (tag_head_) out.tag_logits = tag_head_->forward(h);
  return out;
}

core::Result<EmotionModel> MakeModel(const ModelConfig& config) {
  const ModelConfig c = config.Resolved();
  MER_RETURN_IF_ERROR(c.Validate());
  try {
    std::shared_ptr<EmotionModelImpl> impl;
    if (c.arch == "cnn") {
      impl = std::make_shared<CnnImpl>(c);
    } else if (c.arch == "rnn") {
      impl = std::make_shared<RnnImpl>(c);
    } else if (c.arch == "crnn") {
      impl = std::make_shared<CrnnImpl>(c);
    } else if (c.arch == "pcrnn") {
      impl = std::make_shared<PcrnnImpl>(c);
    } else if (c.arch == "attn-lstm") {
      impl = std::make_shared<AttnLstmImpl>(c);
    } else if (c.arch == "mlp") {
      impl = std::make_shared<MlpImpl>(c);
    } else if (c.arch == "ensemble") {
      impl = std::make_shared<EnsembleImpl>(c);
    } else {
      return core::Status::InvalidArgument("model config: arch", c.arch);
    }
    return EmotionModel(std::move(impl));
  } catch (const c10::Error& e) {
    return core::Status::Internal("building model " + c.arch,
                                  e.what_without_backtrace());
  }
}

void FuseForInference(EmotionModel& model, Precision precision) {
  model->eval();
  const bool bf16 = precision == Precision::kBFloat16;
  // Every conv block sits in a MakeConvStack Sequential. A run of them
  // passes bfloat16 from block to block; its last block hands float32 on.
  for (const auto& m : model->modules(/*include_self=*/false)) {
    auto* seq = dynamic_cast<torch::nn::SequentialImpl*>(m.get());
    if (seq == nullptr) continue;
    const auto children = seq->children();
    for (size_t i = 0; i < children.size(); ++i) {
      auto* block = dynamic_cast<ConvBlockImpl*>(children[i].get());
      if (block == nullptr) continue;
      const bool last =
          i + 1 == children.size() ||
          dynamic_cast<ConvBlockImpl*>(children[i + 1].get()) == nullptr;
      block->FuseForInference(bf16, last);
    }
  }
}

std::vector<torch::Tensor> OrderedParameters(const EmotionModel& model) {
  return model->parameters(/*recurse=*/true);
}

std::vector<std::pair<std::string, torch::Tensor>> OrderedState(
    const EmotionModel& model) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  for (const auto& item : model->named_buffers(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  return out;
}

}  // namespace mer::nn
