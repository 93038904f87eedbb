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

EnsembleImpl::EnsembleImpl(ModelConfig c) : EmotionModelImpl(c) {
  for (size_t i = 0; i < c.members.size(); ++i) {
    EmotionModel m = MakeModel(c.members[i]).value();  // validated with c
    members_.push_back(register_module("member" + std::to_string(i), m));
  }
  set_embedding_dim(config().EmbeddingDim());
}

torch::Tensor EnsembleImpl::Trunk(const torch::Tensor& x) { return x; }

ModelOutput EnsembleImpl::forward(const torch::Tensor& x) {
  const ModelConfig& c = config();
  TORCH_CHECK(x.dim() == 3 && x.size(1) == c.InputRows(), "ensemble expects [",
              "batch, ", c.InputRows(), ", frames], got ", x.sizes());
  ModelOutput out;
  std::vector<torch::Tensor> embeddings;
  torch::Tensor probs;
  for (size_t i = 0; i < members_.size(); ++i) {
    EmotionModel& m = members_[i];
    const double w = c.member_weights[i];
    const ModelOutput o = m->forward(x.narrow(1, 0, m->config().InputRows()));
    embeddings.push_back(o.embedding);
    const torch::Tensor p = torch::softmax(o.quadrant_logits, 1) * w;
    probs = probs.defined() ? probs + p : p;
    out.va = out.va.defined() ? out.va + o.va * w : o.va * w;
  }
  out.embedding = torch::cat(embeddings, 1);
  out.quadrant_logits = probs.clamp_min(1e-12).log();
  return out;
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
