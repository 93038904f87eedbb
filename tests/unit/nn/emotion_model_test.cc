#include "common/nn/emotion_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "common/core/emotion.h"
#include "common/nn/architectures.h"
#include "common/nn/model_loss.h"

namespace mer::nn {
namespace {

class EmotionModelArchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EmotionModelArchTest, ForwardShapes) {
  torch::manual_seed(1);
  ModelConfig config = ModelConfig::ForArch(GetParam());
  config.num_tags = 5;
  auto model = MakeModel(config);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  (*model)->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({3, 96, 256}) * 20 - 40;
  const ModelOutput y = (*model)->forward(x);
  const int64_t e = config.EmbeddingDim();
  EXPECT_EQ(y.embedding.sizes(), (torch::IntArrayRef{3, e}));
  EXPECT_EQ(y.quadrant_logits.sizes(), (torch::IntArrayRef{3, 4}));
  EXPECT_EQ(y.va.sizes(), (torch::IntArrayRef{3, 2}));
  EXPECT_EQ(y.tag_logits.sizes(), (torch::IntArrayRef{3, 5}));
  EXPECT_LE(y.va.abs().max().item<float>(), 1.0f);
  EXPECT_TRUE(torch::isfinite(y.quadrant_logits).all().item<bool>());

  // Any frame count at or above the minimum; fewer is refused.
  const int min_frames = config.MinFrames();
  EXPECT_EQ((*model)
                ->forward(torch::zeros({1, 96, min_frames + 5}))
                .quadrant_logits.size(0),
            1);
  EXPECT_THROW((*model)->forward(torch::zeros({1, 96, min_frames - 1})),
               c10::Error);
  EXPECT_THROW((*model)->forward(torch::zeros({1, 64, 256})), c10::Error);
}

INSTANTIATE_TEST_SUITE_P(AllArchs, EmotionModelArchTest,
                         ::testing::Values("cnn", "rnn", "crnn", "pcrnn",
                                           "attn-lstm"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, '-');
                           return name;
                         });

TEST(EmotionModelTest, Paper2019ConvStackGives1x15x128) {
  torch::manual_seed(2);
  auto model = MakeModel(ModelConfig::Paper2019());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto* crnn = dynamic_cast<CrnnImpl*>(model->get());
  ASSERT_NE(crnn, nullptr);
  crnn->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::zeros({1, 96, 1440});
  EXPECT_EQ(crnn->ConvFeatures(x).sizes(), (torch::IntArrayRef{1, 128, 1, 15}));
  EXPECT_EQ(crnn->forward(x).embedding.sizes(), (torch::IntArrayRef{1, 64}));
}

TEST(EmotionModelTest, OtherMelCountsAndBatchNormInput) {
  for (int n_mels : {40, 128}) {
    ModelConfig c;
    c.n_mels = n_mels;
    c.input_norm = "batchnorm";
    c.embedding_dim = 24;
    auto model = MakeModel(c);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    (*model)->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(
        (*model)->forward(torch::randn({2, n_mels, 100})).embedding.sizes(),
        (torch::IntArrayRef{2, 24}));
  }
}

TEST(EmotionModelTest, ParameterOrderIsStableAcrossInstances) {
  ModelConfig c = ModelConfig::ForArch("pcrnn");
  auto a = MakeModel(c);
  auto b = MakeModel(c);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto sa = OrderedState(*a), sb = OrderedState(*b);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_EQ(sa[i].first, sb[i].first);
  // The module's own parameter first (LibTorch lists it before children),
  // then the trunk from its input side.
  EXPECT_EQ(sa[0].first, "quadrant_scale");
  EXPECT_EQ(sa[1].first, "blocks.0.conv.weight");
  EXPECT_EQ(OrderedParameters(*a).size(), (*a)->parameters().size());
}

TEST(EmotionModelTest, BadConfigIsAStatus) {
  ModelConfig c;
  c.arch = "transformer";
  auto model = MakeModel(c);
  ASSERT_FALSE(model.ok());
  EXPECT_TRUE(model.status().IsInvalidArgument());
}

TEST(EmotionModelTest, VaHeadQuadrantIsTheQuadrantOfTheVaPoint) {
  torch::manual_seed(9);
  ModelConfig c = ModelConfig::ForArch("crnn");
  c.channels = {4, 8, 8, 8};
  c.rnn_hidden = 8;
  ASSERT_EQ(c.quadrant_head, "va");
  auto model = MakeModel(c);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  (*model)->eval();
  torch::NoGradGuard no_grad;
  const ModelOutput y =
      (*model)->forward(torch::randn({64, 96, 256}) * 20 - 40);
  const torch::Tensor p = torch::softmax(y.quadrant_logits, 1);
  // Probabilities are products of one sign probability per axis: rows sum
  // to one and P(happy) P(sad) = P(tense) P(calm).
  EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({64}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(p.select(1, 0) * p.select(1, 2),
                              p.select(1, 1) * p.select(1, 3), 1e-5, 1e-7));
  const torch::Tensor best = p.argmax(1);
  for (int64_t i = 0; i < 64; ++i) {
    const float v = y.va[i][0].item<float>(), a = y.va[i][1].item<float>();
    EXPECT_EQ(best[i].item<int64_t>(),
              static_cast<int64_t>(core::QuadrantOf(v, a)))
        << "(" << v << ", " << a << ")";
  }
  // The softmax head of older bundles is still there.
  c.quadrant_head = "softmax";
  auto old = MakeModel(c);
  ASSERT_TRUE(old.ok());
  bool has_linear = false;
  for (const auto& item : (*old)->named_parameters()) {
    has_linear = has_linear || item.key().rfind("quadrant_head", 0) == 0;
  }
  EXPECT_TRUE(has_linear);
}

// ---- loss ------------------------------------------------------------

ModelOutput ZeroOutput(int64_t batch, int64_t tags = 0) {
  ModelOutput out;
  out.embedding = torch::zeros({batch, 8});
  out.quadrant_logits = torch::zeros({batch, 4});
  out.va = torch::zeros({batch, 2});
  if (tags > 0) out.tag_logits = torch::zeros({batch, tags});
  return out;
}

TEST(ModelLossTest, QuadrantOnlyLabelsTrainVaTowardsTheQuadrantSigns) {
  LossTargets t;
  t.quadrant = torch::tensor({0, 2, -1}, torch::kLong);
  const LossTerms l = ModelLoss(ZeroOutput(3), t, LossOptions());
  // Uniform logits: cross-entropy log 4 over the two labelled samples.
  EXPECT_NEAR(l.quadrant.item<float>(), std::log(4.0f), 1e-5);
  // Targets (+-0.5, +-0.5) against 0: squared error 0.25.
  EXPECT_NEAR(l.va.item<float>(), 0.25f, 1e-6);
  EXPECT_NEAR(l.total.item<float>(), std::log(4.0f) + 0.25f, 1e-5);

  LossOptions no_va;
  no_va.va_from_quadrant = 0;
  EXPECT_EQ(ModelLoss(ZeroOutput(3), t, no_va).va.item<float>(), 0.0f);
}

TEST(ModelLossTest, KnownVaOverridesQuadrantAndMaskIsHonoured) {
  ModelOutput out = ZeroOutput(2);
  LossTargets t;
  t.va = torch::tensor({0.2f, -0.4f, 0.9f, 0.9f}).view({2, 2});
  t.va_mask = torch::tensor({true, false});
  const LossTerms l = ModelLoss(out, t, LossOptions());
  EXPECT_NEAR(l.va.item<float>(), (0.04f + 0.16f) / 2, 1e-6);
  EXPECT_EQ(l.quadrant.item<float>(), 0.0f);
}

TEST(ModelLossTest, TagPositiveWeightsAndClassWeights) {
  LossTargets t;
  t.tags = torch::tensor({1.0f, 0.0f}).view({1, 2});
  LossOptions o;
  o.tag_pos_weight = {3.0f, 3.0f};
  const LossTerms l = ModelLoss(ZeroOutput(1, 2), t, o);
  // Logit 0: positive costs 3 * log 2, negative log 2; mean 2 log 2.
  EXPECT_NEAR(l.tags.item<float>(), 2 * std::log(2.0f), 1e-5);

  ModelOutput out = ZeroOutput(2);
  out.quadrant_logits =
      torch::tensor({5.0f, 0.0f, 0.0f, 0.0f, 5.0f, 0.0f, 0.0f, 0.0f})
          .view({2, 4});
  LossTargets q;
  q.quadrant = torch::tensor({0, 1}, torch::kLong);
  LossOptions w;
  w.class_weights = {1.0f, 3.0f, 1.0f, 1.0f};
  w.va_from_quadrant = 0;
  const float right = ModelLoss(out, q, LossOptions()).quadrant.item<float>();
  const float weighted = ModelLoss(out, q, w).quadrant.item<float>();
  EXPECT_GT(weighted, right);  // the wrong sample (class 1) weighs more
  EXPECT_TRUE(LossOptions().Validate().ok());
  EXPECT_TRUE(w.Validate().ok());
  LossOptions bad;
  bad.label_smoothing = 1.5f;
  EXPECT_FALSE(bad.Validate().ok());
}

TEST(ModelLossTest, GradientsReachEveryParameter) {
  torch::manual_seed(3);
  ModelConfig c;
  c.n_mels = 32;
  c.n_frames = 64;
  c.channels = {4, 8, 8, 8};
  c.rnn_hidden = 8;
  auto model = MakeModel(c);
  ASSERT_TRUE(model.ok());
  LossTargets t;
  t.quadrant = torch::tensor({0, 1, 2, 3}, torch::kLong);
  ModelLoss((*model)->forward(torch::randn({4, 32, 64}) * 10 - 40), t,
            LossOptions())
      .total.backward();
  for (const auto& p : (*model)->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
}

TEST(EmotionModelTest, InputPoolEveryArch) {
  for (const std::string& arch : ArchNames()) {
    torch::manual_seed(5);
    ModelConfig c = ModelConfig::ForArch(arch);
    c.input_freq_pool = 2;
    c.input_time_pool = 2;
    c.freq_pools.clear();  // re-resolved for the trunk's 48 bands
    auto model = MakeModel(c);
    ASSERT_TRUE(model.ok()) << arch << ": " << model.status().ToString();
    (*model)->eval();
    torch::NoGradGuard no_grad;
    const ModelOutput y =
        (*model)->forward(torch::randn({2, 96, 256}) * 20 - 40);
    EXPECT_EQ(y.quadrant_logits.sizes(), (torch::IntArrayRef{2, 4})) << arch;
    EXPECT_EQ(y.embedding.size(1), c.EmbeddingDim()) << arch;
  }
}

// FuseForInference (BatchNorm folded into the convolutions, channels-last,
// strided max-pool before ELU, two-pass standard deviation) changes outputs
// by float rounding only, for every architecture, with non-trivial
// BatchNorm statistics and frame counts the pools do not divide.
TEST(EmotionModelTest, FuseForInferenceKeepsEveryArchsOutputs) {
  for (const std::string& arch : ArchNames()) {
    for (const bool pooled : {false, true}) {
      torch::manual_seed(11);
      ModelConfig c = ModelConfig::ForArch(arch);
      c.stats_dim = 8;
      c.num_tags = 3;
      if (pooled) {
        c.input_freq_pool = 2;
        c.input_time_pool = 2;
        c.freq_pools.clear();
      }
      auto made = MakeModel(c);
      ASSERT_TRUE(made.ok()) << arch << ": " << made.status().ToString();
      EmotionModel model = *made;
      {
        torch::NoGradGuard no_grad;
        for (auto& b : model->named_buffers()) {
          if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.5);
          if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
        }
        for (auto& p : model->named_parameters()) {
          if (p.key().find("bn.") != std::string::npos) p.value().uniform_(0.5, 1.5);
        }
      }
      model->eval();
      const torch::Tensor x = torch::randn({5, 96, 261}) * 20 - 40;
      torch::NoGradGuard no_grad;
      const ModelOutput before = model->forward(x);
      FuseForInference(model);
      const ModelOutput after = model->forward(x);
      const auto worst = [](const torch::Tensor& a, const torch::Tensor& b) {
        return (a - b).abs().max().item<float>();
      };
      const std::string what = arch + (pooled ? " (input pool 2x2)" : "");
      EXPECT_LT(worst(before.va, after.va), 1e-5) << what;
      EXPECT_LT(worst(before.quadrant_logits, after.quadrant_logits), 1e-4) << what;
      EXPECT_LT(worst(before.embedding, after.embedding), 1e-4) << what;
      EXPECT_LT(worst(before.tag_logits, after.tag_logits), 1e-4) << what;
      // A fused conv block refuses training mode (rnn and mlp have none).
      model->train();
      if (arch != "rnn" && arch != "mlp") {
        EXPECT_THROW(model->forward(x), c10::Error) << what << ": a fused block trained";
      }
    }
  }
}

// Precision::kBFloat16: every conv weight is stored in bfloat16, the conv
// stack runs in it and hands float32 to the layers after it; outputs move
// by bfloat16 rounding only (8 bits of mantissa, float32 accumulation).
TEST(EmotionModelTest, FuseForInferenceInBfloat16StaysNearFloat32) {
  for (const std::string& arch : ArchNames()) {
    torch::manual_seed(12);
    ModelConfig c = ModelConfig::ForArch(arch);
    c.stats_dim = 8;
    auto made = MakeModel(c);
    ASSERT_TRUE(made.ok()) << arch << ": " << made.status().ToString();
    EmotionModel model = *made;
    model->eval();
    const torch::Tensor x = torch::randn({4, 96, 261}) * 20 - 40;
    torch::NoGradGuard no_grad;
    const ModelOutput before = model->forward(x);
    FuseForInference(model, Precision::kBFloat16);
    int bf16_weights = 0;
    for (const auto& p : model->named_parameters()) {
      if (p.value().scalar_type() == torch::kBFloat16) {
        ++bf16_weights;
        EXPECT_NE(p.key().find("conv."), std::string::npos) << arch << ": " << p.key();
      }
    }
    const ModelOutput after = model->forward(x);
    EXPECT_EQ(after.va.scalar_type(), torch::kFloat) << arch;
    const float va = (before.va - after.va).abs().max().item<float>();
    const float logits =
        (before.quadrant_logits - after.quadrant_logits).abs().max().item<float>();
    if (arch == "rnn" || arch == "mlp") {  // no conv blocks: untouched
      EXPECT_EQ(bf16_weights, 0) << arch;
      EXPECT_EQ(va, 0.0f) << arch;
      continue;
    }
    EXPECT_GE(bf16_weights, 2) << arch << ": conv weights and biases";
    EXPECT_GT(va, 0.0f) << arch << ": bfloat16 changed nothing";
    EXPECT_LT(va, 0.03f) << arch << " va moved " << va;
    EXPECT_LT(logits, 0.1f) << arch << " logits moved " << logits;
  }
}

// The small crnn of the branch tests: 32 bands, 64 frames, 8 GRU units.
ModelConfig SmallCrnn() {
  ModelConfig c;
  c.n_mels = 32;
  c.n_frames = 64;
  c.channels = {4, 8, 8, 8};
  c.rnn_hidden = 8;
  return c;
}

// Every parameter of `model` got a gradient, and those named `prefix...` a
// non-zero one (there must be some).
void ExpectGradientsReach(EmotionModel& model, const std::string& prefix) {
  bool saw = false;
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    if (p.key().rfind(prefix, 0) == 0) {
      saw = true;
      EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
    }
  }
  EXPECT_TRUE(saw) << prefix;
}

TEST(EmotionModelTest, StatsBranchSeesBandStatisticsAndTrains) {
  torch::manual_seed(4);
  ModelConfig c = SmallCrnn();
  c.stats_dim = 6;
  auto model = MakeModel(c);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const torch::Tensor x = torch::randn({4, 32, 64}) * 10 - 40;
  ModelOutput y = (*model)->forward(x);
  EXPECT_EQ(y.embedding.size(1), 8 + 6);
  LossTargets t;
  t.quadrant = torch::tensor({0, 1, 2, 3}, torch::kLong);
  ModelLoss(y, t, LossOptions()).total.backward();
  ExpectGradientsReach(*model, "stats_fc");

  // A level shift of one band moves that band's mean: the branch's
  // features (the last stats_dim of the embedding) follow it.
  (*model)->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor a = (*model)->forward(x).embedding;
  torch::Tensor shifted = x.clone();
  shifted.select(1, 3).add_(12.0f);
  const torch::Tensor b = (*model)->forward(shifted).embedding;
  EXPECT_GT((a.narrow(1, 8, 6) - b.narrow(1, 8, 6)).abs().max().item<float>(),
            1e-4f);
  EXPECT_GE(c.MinFrames(), 2);
}

// The joint model: the descriptor rows after the bands feed their own
// branch (trained end to end), and only it; the trunk and the statistics
// branch read the bands alone.
TEST(EmotionModelTest, DescriptorBranchReadsOnlyTheRowsAfterTheBands) {
  torch::manual_seed(5);
  ModelConfig c = SmallCrnn();
  c.stats_dim = 6;
  c.descriptor_rows = 10;
  c.descriptor_dim = 5;
  auto model = MakeModel(c);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  // Bands in dB; descriptors on their own scales (Hz-like rows among them).
  torch::Tensor x = torch::randn({4, 42, 64}) * 10 - 40;
  x.narrow(1, 32, 5).mul_(100).add_(2000);
  ModelOutput y = (*model)->forward(x);
  EXPECT_EQ(y.embedding.size(1), 8 + 6 + 5);
  LossTargets t;
  t.quadrant = torch::tensor({0, 1, 2, 3}, torch::kLong);
  ModelLoss(y, t, LossOptions()).total.backward();
  ExpectGradientsReach(*model, "descriptor_fc");
  // Input without the descriptor rows is refused.
  EXPECT_THROW((*model)->forward(x.narrow(1, 0, 32)), c10::Error);

  (*model)->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor a = (*model)->forward(x).embedding;
  // A change of one descriptor row moves only the branch's features (the
  // last 5 of the embedding).
  torch::Tensor d = x.clone();
  d.select(1, 40).add_(3.0f);
  const torch::Tensor b = (*model)->forward(d).embedding;
  EXPECT_LT((a.narrow(1, 0, 14) - b.narrow(1, 0, 14)).abs().max().item<float>(),
            1e-6f);
  EXPECT_GT((a.narrow(1, 14, 5) - b.narrow(1, 14, 5)).abs().max().item<float>(),
            1e-4f);
  // A change of one band leaves the branch's features alone.
  torch::Tensor m = x.clone();
  m.select(1, 3).add_(12.0f);
  const torch::Tensor e = (*model)->forward(m).embedding;
  EXPECT_LT((a.narrow(1, 14, 5) - e.narrow(1, 14, 5)).abs().max().item<float>(),
            1e-6f);
  // Fusing keeps the joint model's outputs.
  FuseForInference(*model);
  const torch::Tensor f = (*model)->forward(x).embedding;
  EXPECT_LT((a - f).abs().max().item<float>(), 1e-4f);
}

// An ensemble runs every member on its prefix of the rows and averages:
// V-A and quadrant probabilities with the weights, embeddings side by side.
TEST(EmotionModelTest, EnsembleAveragesItsMembers) {
  torch::manual_seed(6);
  ModelConfig a = SmallCrnn();
  a.descriptor_rows = 10;
  a.descriptor_dim = 4;
  ModelConfig b = a;
  b.arch = "mlp";
  b.channels.clear();
  b.descriptor_rows = b.descriptor_dim = 0;
  b.stats_dim = 6;
  b.quadrant_head = "va";
  const ModelConfig e = ModelConfig::Ensemble({a, b}, {3, 1});
  ASSERT_TRUE(e.Validate().ok()) << e.Validate().ToString();
  EXPECT_FLOAT_EQ(e.member_weights[0], 0.75f);
  EXPECT_EQ(e.InputRows(), 42);  // the widest member's
  auto back = ModelConfig::FromJson(e.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, e);
  auto model = MakeModel(e);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto ma = MakeModel(a), mb = MakeModel(b);
  ASSERT_TRUE(ma.ok() && mb.ok());
  // The ensemble's members get the stand-alone models' weights.
  {
    torch::NoGradGuard no_grad;
    auto pa = (*model)->named_parameters();
    for (const auto& p : (*ma)->named_parameters()) pa["member0." + p.key()].copy_(p.value());
    for (const auto& p : (*mb)->named_parameters()) pa["member1." + p.key()].copy_(p.value());
  }
  (*model)->eval();
  (*ma)->eval();
  (*mb)->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({3, 42, 64}) * 10 - 40;
  const ModelOutput y = (*model)->forward(x);
  const ModelOutput ya = (*ma)->forward(x);
  const ModelOutput yb = (*mb)->forward(x.narrow(1, 0, 32));
  EXPECT_LT((y.va - (0.75 * ya.va + 0.25 * yb.va)).abs().max().item<float>(), 1e-6f);
  const torch::Tensor p = 0.75 * torch::softmax(ya.quadrant_logits, 1) +
                          0.25 * torch::softmax(yb.quadrant_logits, 1);
  EXPECT_LT((torch::softmax(y.quadrant_logits, 1) - p).abs().max().item<float>(), 1e-6f);
  EXPECT_EQ(y.embedding.size(1), a.EmbeddingDim() + b.EmbeddingDim());
  EXPECT_EQ((*model)->embedding_dim(), e.EmbeddingDim());
  // Members that read other windows, or an ensemble of one, are refused.
  ModelConfig c = b;
  c.n_frames = 128;
  EXPECT_FALSE(ModelConfig::Ensemble({a, c}).Validate().ok());
  EXPECT_FALSE(ModelConfig::Ensemble({a}).Validate().ok());
  EXPECT_FALSE(ModelConfig::Ensemble({a, e}).Validate().ok());
}

}  // namespace
}  // namespace mer::nn
