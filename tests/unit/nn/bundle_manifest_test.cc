#include "common/nn/bundle_manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/nn/bundle_format.h"
#include "tests/util/test_util.h"

namespace mer::nn {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

BundleManifest SampleManifest() {
  BundleManifest m;
  m.model_id = "m-0123456789abcdef";
  m.config = ModelConfig::ForArch("crnn");
  m.front_end = {{"preset", "default"}, {"n_mels", 96}};
  m.front_end_digest = "fe1-aaaa";
  m.training_data_digest = "td-1";
  m.metrics = {{"accuracy", 0.7}};
  return m;
}

TEST(BundleManifestTest, JsonRoundTrip) {
  const BundleManifest m = SampleManifest();
  auto back = BundleManifest::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), m.ToJson());
  EXPECT_EQ(back->config, m.config);

  nlohmann::json future = m.ToJson();
  future["format_version"] = 99;
  auto refused = BundleManifest::FromJson(future);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsNotSupported());
}

TEST(BundleManifestTest, ReadsManifestWithoutTouchingWeights) {
  TempDir dir;
  const std::string path = dir.File("model.merm");
  const std::string weights(1000, 'w');
  ASSERT_TRUE(
      WriteBundleFile(path, SampleManifest().ToJson().dump(), weights).ok());
  auto m = ReadBundleManifest(path);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->model_id, "m-0123456789abcdef");
  EXPECT_EQ(m->front_end_digest, "fe1-aaaa");

  auto full = ReadBundleFile(path, true);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->weights, weights);
}

TEST(BundleManifestTest, DamagedFilesAreRefusedWithTheFileNamed) {
  TempDir dir;
  const std::string path = dir.File("model.merm");
  ASSERT_TRUE(
      WriteBundleFile(path, SampleManifest().ToJson().dump(), "weights").ok());

  fs::resize_file(path, fs::file_size(path) - 3);
  auto truncated = ReadBundleManifest(path);
  ASSERT_FALSE(truncated.ok());
  EXPECT_TRUE(truncated.status().IsCorruption());
  EXPECT_NE(truncated.status().message().find("model.merm"), std::string::npos);
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos);

  const std::string other = dir.File("notes.txt");
  std::ofstream(other) << "this is not a model bundle, only some text";
  auto not_bundle = ReadBundleManifest(other);
  ASSERT_FALSE(not_bundle.ok());
  EXPECT_NE(not_bundle.status().message().find("MERMODEL"), std::string::npos);

  auto missing = ReadBundleManifest(dir.File("absent.merm"));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
}

TEST(BundleManifestTest, FrontEndMismatchIsRefused) {
  const BundleManifest m = SampleManifest();
  EXPECT_TRUE(CheckFrontEnd(m, "fe1-aaaa").ok());
  core::Status s = CheckFrontEnd(m, "fe1-bbbb");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("model m-0123456789abcdef expects front end "
                             "fe1-aaaa (preset default), features were made "
                             "with fe1-bbbb"),
            std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace mer::nn
