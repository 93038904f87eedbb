// The architectures built on recurrent layers over frames: rnn, attn-lstm.
#include <torch/torch.h>

#include "common/nn/architectures.h"

namespace mer::nn {

namespace F = torch::nn::functional;

namespace {
int FloorChain(int size, const std::vector<int>& pools) {
  for (int f : pools) size /= f;
  return size;
}
}  // namespace

RnnImpl::RnnImpl(ModelConfig c) : EmotionModelImpl(c) {
  gru_ = register_module(
      "gru",
      torch::nn::GRU(torch::nn::GRUOptions(c.TrunkMels(), c.rnn_hidden)
                         .num_layers(c.rnn_layers)
                         .batch_first(true)
                         .dropout(c.rnn_layers > 1 ? c.rnn_dropout : 0.0)));
  RegisterHeads(c.rnn_hidden);
}

torch::Tensor RnnImpl::Trunk(const torch::Tensor& x) {
  torch::Tensor h = LastStep(
      std::get<0>(gru_->forward(FramesForRnn(x, config().rnn_time_pool))));
  return F::dropout(
      h,
      F::DropoutFuncOptions().p(config().rnn_dropout).training(is_training()));
}

MlpImpl::MlpImpl(ModelConfig c) : EmotionModelImpl(c) { RegisterHeads(0); }

torch::Tensor MlpImpl::Trunk(const torch::Tensor& x) {
  return x.new_empty({x.size(0), 0});
}

AttnLstmImpl::AttnLstmImpl(ModelConfig c) : EmotionModelImpl(c) {
  int input_size = c.TrunkMels();
  if (!c.channels.empty()) {
    blocks_ = register_module("blocks", MakeConvStack(c));
    input_size = c.channels.back() * FloorChain(c.TrunkMels(), c.freq_pools);
  }
  lstm_ = register_module(
      "lstm",
      torch::nn::LSTM(torch::nn::LSTMOptions(input_size, c.rnn_hidden)
                          .num_layers(c.rnn_layers)
                          .batch_first(true)
                          .dropout(c.rnn_layers > 1 ? c.rnn_dropout : 0.0)));
  att_hidden_ = register_module(
      "att_hidden", torch::nn::Linear(c.rnn_hidden, c.attention_dim));
  att_score_ =
      register_module("att_score", torch::nn::Linear(c.attention_dim, 1));
  RegisterHeads(c.rnn_hidden);
}

torch::Tensor AttnLstmImpl::Trunk(const torch::Tensor& x) {
  torch::Tensor seq;  // [B, T', features]
  if (blocks_) {
    torch::Tensor h = blocks_->forward(x.unsqueeze(1));  // [B, C, H', T']
    seq = h.permute({0, 3, 1, 2}).flatten(2);
  } else {
    seq = FramesForRnn(x, config().rnn_time_pool);
  }
  torch::Tensor out = std::get<0>(lstm_->forward(seq));  // [B, T', H]
  // Attention pooling: a learned score per step, softmax over time.
  torch::Tensor score =
      att_score_->forward(torch::tanh(att_hidden_->forward(out)));  // [B,T',1]
  torch::Tensor weights = torch::softmax(score, 1);
  torch::Tensor pooled = (out * weights).sum(1);  // [B, H]
  return F::dropout(
      pooled,
      F::DropoutFuncOptions().p(config().rnn_dropout).training(is_training()));
}

}  // namespace mer::nn
