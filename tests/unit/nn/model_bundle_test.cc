#include "common/nn/model_bundle.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/nn/predictor.h"
#include "tests/util/test_util.h"

namespace mer::nn {
namespace {

namespace fs = std::filesystem;

class ModelBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    torch::manual_seed(11);
    config_.n_mels = 32;
    config_.n_frames = 64;
    config_.channels = {4, 8, 8, 8};
    config_.rnn_hidden = 8;
    config_.num_tags = 3;
    config_.input_norm = "batchnorm";  // buffers must travel too
    auto model = MakeModel(config_);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = *model;
    // A few training-mode passes move the BatchNorm statistics off their
    // initial values, so a round trip that dropped buffers would show.
    model_->train();
    for (int i = 0; i < 3; ++i) model_->forward(torch::randn({4, 32, 64}) * 10);
    model_->eval();
    manifest_.front_end = {{"preset", "default"}};
    manifest_.front_end_digest = "fe1-aaa";
    manifest_.tag_names = {"a", "b", "c"};
    input_ = torch::randn({5, 32, 64}) * 15 - 40;
  }
  std::string File(const std::string& name) const { return dir_ / name; }

  test::TempDir tmp_;
  fs::path dir_;
  ModelConfig config_;
  EmotionModel model_{nullptr};
  BundleManifest manifest_;
  torch::Tensor input_;
};

TEST_F(ModelBundleTest, RoundTripGivesIdenticalOutputs) {
  const std::string path = File("model.merm");
  std::string id;
  ASSERT_TRUE(SaveBundle(path, model_, manifest_, &id).ok());
  EXPECT_EQ(id.rfind("m-", 0), 0u);
  EXPECT_EQ(id.size(), 18u);

  auto loaded = LoadBundle(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->manifest.model_id, id);
  EXPECT_EQ(loaded->manifest.config, config_.Resolved());
  EXPECT_EQ(loaded->manifest.tag_names, manifest_.tag_names);
  EXPECT_FALSE(loaded->manifest.created.empty());
  EXPECT_FALSE(loaded->model->is_training());

  torch::NoGradGuard no_grad;
  const ModelOutput a = model_->forward(input_);
  const ModelOutput b = loaded->model->forward(input_);
  EXPECT_TRUE(torch::equal(a.quadrant_logits, b.quadrant_logits));
  EXPECT_TRUE(torch::equal(a.va, b.va));
  EXPECT_TRUE(torch::equal(a.embedding, b.embedding));
  EXPECT_TRUE(torch::equal(a.tag_logits, b.tag_logits));

  // The torch-free manifest read agrees, and the id is a content digest.
  auto manifest = ReadBundleManifest(path);
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->model_id, id);
  std::string id_again;
  ASSERT_TRUE(
      SaveBundle(File("again.merm"), model_, loaded->manifest, &id_again).ok());
  EXPECT_EQ(id_again, id);  // same manifest (incl. created) and weights
}

TEST_F(ModelBundleTest, CorruptOrTruncatedBundleIsAClearError) {
  const std::string path = File("model.merm");
  ASSERT_TRUE(SaveBundle(path, model_, manifest_).ok());
  const auto size = fs::file_size(path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size - 100));
    f.put('\x5a');
  }
  auto corrupt = LoadBundle(path);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_TRUE(corrupt.status().IsCorruption());
  EXPECT_NE(corrupt.status().message().find(path), std::string::npos);

  ASSERT_TRUE(SaveBundle(path, model_, manifest_).ok());
  fs::resize_file(path, size / 2);
  auto truncated = LoadBundle(path);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos)
      << truncated.status().ToString();
}

TEST_F(ModelBundleTest, FrontEndMismatchIsRefused) {
  const std::string path = File("model.merm");
  std::string id;
  ASSERT_TRUE(SaveBundle(path, model_, manifest_, &id).ok());
  auto loaded = LoadBundle(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(CheckFrontEnd(loaded->manifest, "fe1-aaa").ok());
  core::Status s = CheckFrontEnd(loaded->manifest, "fe1-bbb");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("model " + id +
                             " expects front end fe1-aaa (preset default), "
                             "features were made with fe1-bbb"),
            std::string::npos)
      << s.message();
}

TEST_F(ModelBundleTest, PredictorMatchesDirectForward) {
  const std::string path = File("model.merm");
  ASSERT_TRUE(SaveBundle(path, model_, manifest_).ok());
  PredictorOptions options;
  options.batch_size = 2;  // 5 segments: batches of 2, 2, 1
  auto predictor = Predictor::Open(path, options);
  ASSERT_TRUE(predictor.ok()) << predictor.status().ToString();
  const torch::Tensor x = input_.contiguous();
  auto out = predictor->Run(x.data_ptr<float>(), 5, 32, 64);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->num_segments, 5);
  EXPECT_EQ(out->embedding_dim, 8);
  ASSERT_EQ(out->probs.size(), 20u);
  ASSERT_EQ(out->tag_probs.size(), 15u);

  torch::NoGradGuard no_grad;
  const ModelOutput direct = model_->forward(x);
  const torch::Tensor probs = torch::softmax(direct.quadrant_logits, 1);
  for (int i = 0; i < 5; ++i) {
    float row_sum = 0;
    for (int c = 0; c < 4; ++c) {
      EXPECT_NEAR(out->probs[i * 4 + c], probs[i][c].item<float>(), 1e-5);
      row_sum += out->probs[i * 4 + c];
    }
    EXPECT_NEAR(row_sum, 1.0f, 1e-5);
    EXPECT_NEAR(out->va[i * 2 + 1], direct.va[i][1].item<float>(), 1e-5);
    EXPECT_NEAR(out->embeddings[i * 8 + 7],
                direct.embedding[i][7].item<float>(), 1e-5);
  }

  auto wrong_mels = predictor->Run(x.data_ptr<float>(), 1, 40, 64);
  ASSERT_FALSE(wrong_mels.ok());
  EXPECT_NE(wrong_mels.status().message().find("32 mel bands"),
            std::string::npos);
  EXPECT_FALSE(predictor->Run(x.data_ptr<float>(), 1, 32, 8).ok());
  PredictorOptions bad;
  bad.batch_size = 0;
  EXPECT_FALSE(Predictor::Open(path, bad).ok());
}

}  // namespace
}  // namespace mer::nn
