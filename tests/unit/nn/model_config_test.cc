#include "common/nn/model_config.h"

#include <gtest/gtest.h>

namespace mer::nn {
namespace {

TEST(ModelConfigTest, EveryArchHasAValidDefault) {
  for (const std::string& arch : ArchNames()) {
    ModelConfig c = ModelConfig::ForArch(arch);
    EXPECT_TRUE(c.Validate().ok()) << arch << ": " << c.Validate().ToString();
    EXPECT_GT(c.EmbeddingDim(), 0) << arch;
  }
}

TEST(ModelConfigTest, Paper2019) {
  const ModelConfig c = ModelConfig::Paper2019();
  ASSERT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  EXPECT_EQ(c.n_mels, 96);
  EXPECT_EQ(c.n_frames, 1440);
  EXPECT_EQ(c.channels.back(), 128);
  EXPECT_EQ(c.MinFrames(), 2 * 3 * 4 * 4);
  EXPECT_FLOAT_EQ(c.cnn_dropout, 0.5f);
  EXPECT_FLOAT_EQ(c.rnn_dropout, 0.3f);
  auto named = ModelConfig::Named("paper2019");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(*named, c);
  EXPECT_FALSE(ModelConfig::Named("paper2020").ok());
}

TEST(ModelConfigTest, CrnnPoolsCollapseAnyMelCount) {
  for (int n_mels : {1, 2, 13, 32, 40, 64, 80, 96, 128, 229}) {
    ModelConfig c;
    c.n_mels = n_mels;
    const ModelConfig r = c.Resolved();
    int rows = n_mels;
    for (int f : r.freq_pools) rows /= f;
    EXPECT_EQ(rows, 1) << "n_mels " << n_mels;
    EXPECT_TRUE(c.Validate().ok()) << n_mels << ": " << c.Validate().ToString();
  }
  ModelConfig c;
  EXPECT_EQ(c.Resolved().freq_pools, (std::vector<int>{2, 3, 3, 4}));
}

TEST(ModelConfigTest, ValidateNamesTheBadField) {
  ModelConfig c;
  c.arch = "transformer";
  EXPECT_NE(c.Validate().message().find("arch"), std::string::npos);
  c = ModelConfig();
  c.n_frames = 8;  // crnn default pools need 16
  EXPECT_NE(c.Validate().message().find("n_frames"), std::string::npos);
  c = ModelConfig();
  c.freq_pools = {2, 2, 2, 2};  // leaves 6 rows of 96
  EXPECT_NE(c.Validate().message().find("freq_pools"), std::string::npos);
  c = ModelConfig();
  c.rnn_dropout = 1.0f;
  EXPECT_FALSE(c.Validate().ok());
  c = ModelConfig();
  c.input_norm = "layernorm";
  EXPECT_FALSE(c.Validate().ok());
}

TEST(ModelConfigTest, JsonRoundTripAndUnknownKeys) {
  ModelConfig c = ModelConfig::ForArch("attn-lstm");
  c.num_tags = 7;
  c.embedding_dim = 48;
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);

  nlohmann::json j = c.ToJson();
  j["rnn_hiden"] = 3;
  auto typo = ModelConfig::FromJson(j);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("rnn_hiden"), std::string::npos);
  EXPECT_FALSE(ModelConfig::FromJson(nlohmann::json{{"n_mels", "x"}}).ok());
}

TEST(ModelConfigTest, EmbeddingDimPerArch) {
  EXPECT_EQ(ModelConfig::ForArch("crnn").EmbeddingDim(), 64);
  EXPECT_EQ(ModelConfig::ForArch("cnn").EmbeddingDim(), 128);
  EXPECT_EQ(ModelConfig::ForArch("pcrnn").EmbeddingDim(), 64 + 64);
  ModelConfig c;
  c.embedding_dim = 32;
  EXPECT_EQ(c.EmbeddingDim(), 32);
  // The statistics branch widens the trunk's output unless projected.
  ModelConfig s = ModelConfig::ForArch("crnn");
  s.stats_dim = 16;
  EXPECT_EQ(s.EmbeddingDim(), 64 + 16);
  s.arch = "cnn";
  EXPECT_EQ(s.EmbeddingDim(), 128 + 16);
  s.embedding_dim = 24;
  EXPECT_EQ(s.EmbeddingDim(), 24);
  s.stats_dim = -1;
  EXPECT_FALSE(s.Validate().ok());
}

TEST(ModelConfigTest, InputPoolShrinksTheTrunksView) {
  ModelConfig c = ModelConfig::ForArch("crnn");
  c.input_freq_pool = 2;
  c.input_time_pool = 2;
  // Pools resolved for 96 bands leave 0 rows of 48: refused, then re-resolved.
  EXPECT_FALSE(c.Validate().ok());
  c.freq_pools.clear();
  ASSERT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  EXPECT_EQ(c.TrunkMels(), 48);
  // The crnn's pools collapse the 48 pooled bands, not the 96 input bands.
  int rows = 48;
  for (int f : c.Resolved().freq_pools) rows /= f;
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(c.MinFrames(), 2 * 16);  // 4 time pools of 2, after a pool of 2
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, c);
  c.input_time_pool = 0;
  EXPECT_FALSE(c.Validate().ok());
}

TEST(ModelConfigTest, StatsDimRoundTripsAndDefaultsOff) {
  EXPECT_EQ(ModelConfig().stats_dim, 0);
  ModelConfig c;
  c.stats_dim = 32;
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->stats_dim, 32);
  // A manifest written before the field existed still loads, without it.
  nlohmann::json old = ModelConfig().ToJson();
  old.erase("stats_dim");
  auto legacy = ModelConfig::FromJson(old);
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->stats_dim, 0);
}

TEST(ModelConfigTest, DescriptorBranchNeedsItsRowsAndRoundTrips) {
  ModelConfig c = ModelConfig::ForArch("crnn");
  EXPECT_EQ(c.InputRows(), 96);
  // Without a branch the keys stay out of the JSON: manifests read as before.
  EXPECT_FALSE(c.ToJson().contains("descriptor_dim"));
  c.descriptor_dim = 16;
  EXPECT_FALSE(c.Validate().ok());  // no rows to read
  c.descriptor_rows = 53;
  ASSERT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  EXPECT_EQ(c.InputRows(), 96 + 53);
  EXPECT_EQ(c.EmbeddingDim(), 64 + 16);
  c.stats_dim = 8;
  EXPECT_EQ(c.EmbeddingDim(), 64 + 8 + 16);
  auto back = ModelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
  c.descriptor_dim = 0;  // rows the model would not read
  EXPECT_FALSE(c.Validate().ok());
  c.descriptor_dim = -1;
  EXPECT_FALSE(c.Validate().ok());
}

TEST(ModelConfigTest, QuadrantHeadDefaultsToVaAndOldManifestsReadAsSoftmax) {
  EXPECT_EQ(ModelConfig().quadrant_head, "va");
  auto back = ModelConfig::FromJson(ModelConfig().ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->quadrant_head, "va");
  nlohmann::json old = ModelConfig().ToJson();
  old.erase("quadrant_head");  // a bundle saved before the field existed
  auto legacy = ModelConfig::FromJson(old);
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->quadrant_head, "softmax");
  ModelConfig bad;
  bad.quadrant_head = "sigmoid";
  EXPECT_NE(bad.Resolved().Validate().message().find("quadrant_head"),
            std::string::npos);
  bad.quadrant_head = "va";
  bad.num_quadrants = 3;
  EXPECT_FALSE(bad.Resolved().Validate().ok());
}

}  // namespace
}  // namespace mer::nn
