// The default architecture learns a synthetic 4-class corpus: a smoke test
// that the model, the loss and Adam fit together (the trainer proper lives
// elsewhere).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>
#include <vector>

#include "common/nn/emotion_model.h"
#include "common/nn/metrics.h"
#include "common/nn/model_loss.h"

namespace mer::nn {
namespace {

constexpr int kMels = 32;
constexpr int kFrames = 64;

// Log-mel-like segments in dB: noise around -60 dB plus, by class,
//   0: a loud low band, 1: a loud high band, 2: a loud middle band,
//   3: broadband pulses every 8 frames (a "beat").
// Band positions and loudness jitter per sample.
void MakeCorpus(int n, uint32_t seed, torch::Tensor* x, torch::Tensor* y) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 6.0f);
  std::uniform_real_distribution<float> loud(25.0f, 45.0f);
  std::uniform_int_distribution<int> shift(-2, 2);
  *x = torch::empty({n, kMels, kFrames});
  *y = torch::empty({n}, torch::kLong);
  auto xa = x->accessor<float, 3>();
  auto ya = y->accessor<int64_t, 1>();
  for (int i = 0; i < n; ++i) {
    const int label = i % 4;
    ya[i] = label;
    const float gain = loud(rng);
    const int s = shift(rng);
    const int phase = static_cast<int>(rng() % 8);
    for (int m = 0; m < kMels; ++m) {
      for (int t = 0; t < kFrames; ++t) {
        bool on = false;
        if (label == 0) on = m >= 2 + s && m < 9 + s;
        if (label == 1) on = m >= 22 + s && m < 30 + s;
        if (label == 2) on = m >= 12 + s && m < 19 + s;
        if (label == 3) on = (t + phase) % 8 < 2;
        xa[i][m][t] = -60.0f + noise(rng) + (on ? gain : 0.0f);
      }
    }
  }
}

TEST(CrnnTrainingTest, LearnsSyntheticQuadrantsAboveNinetyPercent) {
  torch::manual_seed(7);
  torch::set_num_threads(2);
  ModelConfig config;
  config.n_mels = kMels;
  config.n_frames = kFrames;
  config.channels = {8, 16, 16, 16};
  config.rnn_hidden = 16;
  config.rnn_layers = 1;
  config.cnn_dropout = 0.0f;
  config.rnn_dropout = 0.0f;
  auto made = MakeModel(config);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EmotionModel model = *made;

  torch::Tensor train_x, train_y, test_x, test_y;
  MakeCorpus(256, 1, &train_x, &train_y);
  MakeCorpus(128, 2, &test_x, &test_y);

  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(5e-3));
  constexpr int kBatch = 32;
  for (int epoch = 0; epoch < 12; ++epoch) {
    model->train();
    const torch::Tensor order = torch::randperm(train_x.size(0));
    for (int64_t b = 0; b < train_x.size(0); b += kBatch) {
      const torch::Tensor idx = order.slice(0, b, b + kBatch);
      LossTargets targets;
      targets.quadrant = train_y.index_select(0, idx);
      adam.zero_grad();
      ModelLoss(model->forward(train_x.index_select(0, idx)), targets,
                LossOptions())
          .total.backward();
      adam.step();
    }
  }

  model->eval();
  torch::NoGradGuard no_grad;
  auto accuracy = [&](const torch::Tensor& x, const torch::Tensor& y) {
    const torch::Tensor pred = model->forward(x).quadrant_logits.argmax(1);
    std::vector<int> truth(y.data_ptr<int64_t>(),
                           y.data_ptr<int64_t>() + y.numel());
    std::vector<int> guess(pred.data_ptr<int64_t>(),
                           pred.data_ptr<int64_t>() + pred.numel());
    return EvaluateClassification(truth, guess, 4).accuracy;
  };
  EXPECT_GE(accuracy(train_x, train_y), 0.9);
  EXPECT_GE(accuracy(test_x, test_y), 0.9);

  // The V-A head learned the quadrant signs too: class 0 (happy) has V > 0
  // and A > 0 on average, class 2 (sad) both < 0.
  const torch::Tensor va = model->forward(test_x).va;
  const torch::Tensor happy = va.index({test_y.eq(0)}).mean(0);
  const torch::Tensor sad = va.index({test_y.eq(2)}).mean(0);
  EXPECT_GT(happy[0].item<float>(), 0.0f);
  EXPECT_GT(happy[1].item<float>(), 0.0f);
  EXPECT_LT(sad[0].item<float>(), 0.0f);
  EXPECT_LT(sad[1].item<float>(), 0.0f);
}

}  // namespace
}  // namespace mer::nn
