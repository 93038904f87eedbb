// The architectures built on conv blocks: cnn, crnn, pcrnn.
#include <torch/torch.h>

#include "common/nn/architectures.h"
#include "common/nn/sync_batch_norm.h"

namespace mer::nn {

namespace F = torch::nn::functional;

ConvBlockImpl::ConvBlockImpl(int in_channels, int out_channels, int pool_f,
                             int pool_t, float dropout)
    : pool_f_(pool_f), pool_t_(pool_t), dropout_(dropout) {
  conv_ = register_module(
      "conv",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(in_channels, out_channels, 3).padding(1)));
  bn_ = register_module("bn", torch::nn::BatchNorm2d(out_channels));
}

namespace {

// max_pool2d(x, {pool_f, pool_t}) (kernel = stride, floor) as element-wise
// maxima of strided views: along time, then along frequency. Equal to
// max_pool2d bit for bit; on channels-last activations each view is runs
// of whole channel vectors, so this is 2-4x faster than LibTorch 1.13's
// pooling kernel, which also computes the indices it never needs here.
torch::Tensor StridedMaxPool(const torch::Tensor& x, int pool_f, int pool_t) {
  // The maximum over `k` consecutive entries along `dim` (floor).
  const auto pool = [](const torch::Tensor& t, int64_t dim, int k) {
    if (k <= 1) return t;
    const int64_t end = t.size(dim) / k * k;
    torch::Tensor m = t.slice(dim, 0, end, k);
    for (int j = 1; j < k; ++j) m = torch::maximum(m, t.slice(dim, j, end, k));
    return m;
  };
  return pool(pool(x, 3, pool_t), 2, pool_f);
}

}  // namespace

torch::Tensor ConvBlockImpl::forward(torch::Tensor x) {
  if (fused_) {
    TORCH_CHECK(!is_training(), "a conv block fused for inference cannot train");
    if (bfloat16_) x = x.to(torch::kBFloat16);  // no-op after the first
    x = conv_->forward(x.contiguous(torch::MemoryFormat::ChannelsLast));
    if (pool_f_ > 1 || pool_t_ > 1) x = StridedMaxPool(x, pool_f_, pool_t_);
    x = torch::elu_(x);
    return bfloat16_ && float_output_ ? x.to(torch::kFloat) : x;
  }
  x = torch::elu(ForwardBatchNorm(*bn_, conv_->forward(x)));
  if (pool_f_ > 1 || pool_t_ > 1) {
    x = torch::max_pool2d(x, {pool_f_, pool_t_});
  }
  if (dropout_ > 0)
    x = F::dropout(x,
                   F::DropoutFuncOptions().p(dropout_).training(is_training()));
  return x;
}

void ConvBlockImpl::FuseForInference(bool bfloat16, bool float_output) {
  if (fused_) return;
  torch::NoGradGuard no_grad;
  // y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta
  //   = conv'(x) with w' = w * s, b' = (b - mean) * s + beta,
  //   s = gamma / sqrt(var + eps) per output channel.
  const torch::Tensor scale =
      bn_->weight / torch::sqrt(bn_->running_var + bn_->options.eps());
  conv_->weight.mul_(scale.view({-1, 1, 1, 1}));
  conv_->bias.sub_(bn_->running_mean).mul_(scale).add_(bn_->bias);
  // A fresh channels-last copy: contiguous(ChannelsLast) would keep the
  // strides of a weight with one input channel (already "contiguous" in
  // both formats), and oneDNN picks the layout of its output from them.
  conv_->weight.set_data(
      torch::empty_like(conv_->weight, conv_->weight.options(),
                        torch::MemoryFormat::ChannelsLast)
          .copy_(conv_->weight));
  if (bfloat16) {
    conv_->weight.set_data(
        torch::empty_like(conv_->weight,
                          conv_->weight.options().dtype(torch::kBFloat16),
                          torch::MemoryFormat::ChannelsLast)
            .copy_(conv_->weight));
    conv_->bias.set_data(conv_->bias.to(torch::kBFloat16));
  }
  bfloat16_ = bfloat16;
  float_output_ = float_output;
  fused_ = true;
}

torch::nn::Sequential MakeConvStack(const ModelConfig& c) {
  torch::nn::Sequential seq;
  int in = 1;
  for (size_t i = 0; i < c.channels.size(); ++i) {
    seq->push_back(ConvBlock(in, c.channels[i], c.freq_pools[i],
                             c.time_pools[i], c.cnn_dropout));
    in = c.channels[i];
  }
  return seq;
}

CnnImpl::CnnImpl(ModelConfig c) : EmotionModelImpl(c) {
  blocks_ = register_module("blocks", MakeConvStack(c));
  RegisterHeads(c.channels.back());
}

torch::Tensor CnnImpl::Trunk(const torch::Tensor& x) {
  // Global max pooling over frequency and time.
  return blocks_->forward(x.unsqueeze(1)).amax({2, 3});
}

CrnnImpl::CrnnImpl(ModelConfig c) : EmotionModelImpl(c) {
  blocks_ = register_module("blocks", MakeConvStack(c));
  gru_ = register_module(
      "gru",
      torch::nn::GRU(torch::nn::GRUOptions(c.channels.back(), c.rnn_hidden)
                         .num_layers(c.rnn_layers)
                         .batch_first(true)
                         .dropout(c.rnn_layers > 1 ? c.rnn_dropout : 0.0)));
  RegisterHeads(c.rnn_hidden);
}

torch::Tensor CrnnImpl::ConvFeatures(const torch::Tensor& normalised) {
  return blocks_->forward(normalised.unsqueeze(1));
}

torch::Tensor CrnnImpl::Trunk(const torch::Tensor& x) {
  torch::Tensor h = ConvFeatures(x);  // [B, C, 1, T']
  h = h.squeeze(2).transpose(1, 2);   // [B, T', C]
  h = LastStep(std::get<0>(gru_->forward(h)));
  return F::dropout(
      h,
      F::DropoutFuncOptions().p(config().rnn_dropout).training(is_training()));
}

PcrnnImpl::PcrnnImpl(ModelConfig c) : EmotionModelImpl(c) {
  blocks_ = register_module("blocks", MakeConvStack(c));
  gru_ = register_module(
      "gru",
      torch::nn::GRU(torch::nn::GRUOptions(c.TrunkMels(), c.rnn_hidden)
                         .num_layers(c.rnn_layers)
                         .batch_first(true)
                         .dropout(c.rnn_layers > 1 ? c.rnn_dropout : 0.0)));
  RegisterHeads(c.channels.back() + c.rnn_hidden);
}

torch::Tensor PcrnnImpl::Trunk(const torch::Tensor& x) {
  torch::Tensor cnn = blocks_->forward(x.unsqueeze(1)).amax({2, 3});
  torch::Tensor rnn = LastStep(
      std::get<0>(gru_->forward(FramesForRnn(x, config().rnn_time_pool))));
  rnn = F::dropout(
      rnn,
      F::DropoutFuncOptions().p(config().rnn_dropout).training(is_training()));
  return torch::cat({cnn, rnn}, 1);
}

torch::Tensor FramesForRnn(const torch::Tensor& x, int pool) {
  torch::Tensor h = pool > 1 ? torch::avg_pool1d(x, {pool}) : x;
  return h.transpose(1, 2).contiguous();
}

torch::Tensor LastStep(const torch::Tensor& seq) {
  return seq.select(1, seq.size(1) - 1);
}

}  // namespace mer::nn
