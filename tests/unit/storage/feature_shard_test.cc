#include "storage/feature_shard.h"
#include "tests/util/test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace mer::storage {
namespace {

namespace fs = std::filesystem;

class FeatureShardTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }

  // Writes `n` tracks of 4 mels with n_frames = 3 + i, value = i*100 + k.
  void WriteShard(const std::string& path, int n, const std::string& digest) {
    auto w = FeatureShardWriter::Create(path, 4, {{"preset", "test"}}, digest);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (int i = 0; i < n; ++i) {
      ShardTrack t;
      t.track_id = path + "#" + std::to_string(i);
      t.group = "artist" + std::to_string(i % 2);
      t.path = "/x/" + std::to_string(i) + ".mp3";
      t.quadrant = static_cast<core::Quadrant>(i % 4);
      if (i % 2) {
        t.valence = 0.25f * i;
        t.arousal = -0.5f;
      }
      t.seconds = 1.5 * i;
      std::vector<float> mel(4 * (3 + i));
      for (size_t k = 0; k < mel.size(); ++k) mel[k] = i * 100.0f + k;
      ASSERT_TRUE((*w)->Add(t, mel.data(), 3 + i).ok());
    }
    // Not visible before Finish().
    EXPECT_FALSE(fs::exists(path));
    ASSERT_TRUE((*w)->Finish().ok());
  }
  test::TempDir tmp_;
  fs::path dir_;
};

TEST_F(FeatureShardTest, RoundTrip) {
  std::string path = ShardPath(dir_.string(), 0, 1);
  EXPECT_EQ(fs::path(path).filename(), "part-00000-of-00001.mershard");
  WriteShard(path, 5, "fe1-abc");
  auto shard = FeatureShard::Open(path);
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  const auto& s = **shard;
  EXPECT_EQ(s.n_mels(), 4);
  EXPECT_EQ(s.front_end_digest(), "fe1-abc");
  EXPECT_EQ(s.front_end()["preset"], "test");
  ASSERT_EQ(s.tracks().size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const ShardTrack& t = s.tracks()[i];
    EXPECT_EQ(t.n_frames, 3 + i);
    EXPECT_EQ(t.group, "artist" + std::to_string(i % 2));
    EXPECT_EQ(*t.quadrant, static_cast<core::Quadrant>(i % 4));
    EXPECT_EQ(t.valence.has_value(), i % 2 == 1);
    EXPECT_DOUBLE_EQ(t.seconds, 1.5 * i);
    const float* d = s.TrackData(i);
    for (int k = 0; k < 4 * (3 + i); ++k) ASSERT_EQ(d[k], i * 100.0f + k);
  }
}

// Descriptor rows after the bands: the header counts every row, the index
// says how many are descriptors and with which parameters; a dataset does
// not mix shards with and without them.
TEST_F(FeatureShardTest, DescriptorRowsRoundTripAndDoNotMix) {
  const nlohmann::json params = {{"fmax", 7500}};
  const std::string path = ShardPath(dir_.string(), 0, 2);
  auto w = FeatureShardWriter::Create(path, 4 + 3, {{"preset", "test"}},
                                      "fe1-a", std::nullopt, params, 3);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ShardTrack t;
  t.track_id = "a";
  std::vector<float> rows(7 * 5);
  for (size_t k = 0; k < rows.size(); ++k) rows[k] = static_cast<float>(k);
  ASSERT_TRUE((*w)->Add(t, rows.data(), 5).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto shard = FeatureShard::Open(path);
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  EXPECT_EQ((*shard)->n_rows(), 7);
  EXPECT_EQ((*shard)->n_mels(), 4);
  EXPECT_EQ((*shard)->descriptor_rows(), 3);
  EXPECT_EQ((*shard)->descriptors(), params);
  EXPECT_EQ((*shard)->TrackData(0)[34], 34.0f);
  // Parameters without rows, or rows without parameters, are refused.
  EXPECT_FALSE(FeatureShardWriter::Create((dir_ / "x.mershard").string(), 7,
                                          {}, "fe1-a", std::nullopt, params, 0)
                   .ok());
  EXPECT_FALSE(FeatureShardWriter::Create((dir_ / "x.mershard").string(), 7,
                                          {}, "fe1-a", std::nullopt, nullptr, 3)
                   .ok());
  WriteShard(ShardPath(dir_.string(), 1, 2), 2, "fe1-a");
  auto mixed = FeatureDataset::Open(dir_.string());
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().ToString().find("descriptor"), std::string::npos)
      << mixed.status().ToString();
}

TEST_F(FeatureShardTest, DatasetJoinsShardsAndRefusesMixedFrontEnds) {
  WriteShard(ShardPath(dir_.string(), 0, 2), 3, "fe1-a");
  WriteShard(ShardPath(dir_.string(), 1, 2), 2, "fe1-a");
  auto ds = FeatureDataset::Open(dir_.string());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->tracks().size(), 5u);
  EXPECT_EQ(ds->tracks()[4].data()[0], 100.0f);

  WriteShard((dir_ / "z.mershard").string(), 1, "fe1-b");
  auto mixed = FeatureDataset::Open(dir_.string());
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("fe1-b"), std::string::npos);
}

// Reads the JSON index of a shard file (the format of feature_shard.h).
nlohmann::json ReadIndex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  uint64_t offset = 0, size = 0;
  std::memcpy(&offset, bytes.data() + 32, 8);
  std::memcpy(&size, bytes.data() + 40, 8);
  return nlohmann::json::parse(bytes.substr(offset, size));
}

TEST_F(FeatureShardTest, TagsRoundTripAndStayOutOfShardsWithoutTags) {
  const std::vector<std::string> names = {"calm", "guitar", "happy"};
  const std::vector<std::vector<std::string>> tags = {
      {"guitar", "happy"}, {}, {"calm"}};
  std::string path = (dir_ / "tags.mershard").string();
  {
    auto w = FeatureShardWriter::Create(path, 2, {{"preset", "test"}}, "fe1-t",
                                        names);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::vector<float> mel(2 * 3, 1.0f);
    for (size_t i = 0; i < tags.size(); ++i) {
      ShardTrack t;
      t.track_id = "t" + std::to_string(i);
      t.tags = tags[i];
      ASSERT_TRUE((*w)->Add(t, mel.data(), 3).ok());
    }
    ShardTrack unknown;
    unknown.track_id = "u";
    unknown.tags = {"jazz"};
    auto refused = (*w)->Add(unknown, mel.data(), 3);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.message().find("jazz"), std::string::npos);
    ASSERT_TRUE((*w)->Finish().ok());
  }
  auto shard = FeatureShard::Open(path);
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  EXPECT_TRUE((*shard)->has_tags());
  EXPECT_EQ((*shard)->tag_names(), names);
  ASSERT_EQ((*shard)->tracks().size(), 3u);
  for (size_t i = 0; i < tags.size(); ++i) {
    EXPECT_EQ((*shard)->tracks()[i].tags, tags[i]) << i;
  }
  const nlohmann::json index = ReadIndex(path);
  EXPECT_EQ(index["format"], 1);
  EXPECT_EQ(index["tracks"][1]["tags"], nlohmann::json::array());

  // A shard without tags has neither key, and refuses a track with tags.
  std::string plain = (dir_ / "plain.mershard").string();
  WriteShard(plain, 2, "fe1-t");
  const nlohmann::json plain_index = ReadIndex(plain);
  EXPECT_FALSE(plain_index.contains("tag_names"));
  EXPECT_FALSE(plain_index["tracks"][0].contains("tags"));
  auto plain_shard = FeatureShard::Open(plain);
  ASSERT_TRUE(plain_shard.ok());
  EXPECT_FALSE((*plain_shard)->has_tags());
  {
    auto w = FeatureShardWriter::Create((dir_ / "x.mershard").string(), 2,
                                        {{"preset", "test"}}, "fe1-t");
    ASSERT_TRUE(w.ok());
    ShardTrack t;
    t.track_id = "t";
    t.tags = {"calm"};
    std::vector<float> mel(2 * 3, 1.0f);
    EXPECT_FALSE((*w)->Add(t, mel.data(), 3).ok());
  }

  // One folder: all shards with tags or all without.
  auto mixed = FeatureDataset::Open(dir_.string());
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("tag labels"), std::string::npos)
      << mixed.status().message();
  fs::remove(plain);
  auto ds = FeatureDataset::Open(dir_.string());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_TRUE(ds->has_tags());
}

TEST_F(FeatureShardTest, CorruptFilesAreErrors) {
  std::string path = (dir_ / "a.mershard").string();
  WriteShard(path, 3, "fe1-a");
  // Truncate: the header no longer matches the size.
  fs::resize_file(path, fs::file_size(path) - 10);
  auto r = FeatureShard::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find(path), std::string::npos);
  std::ofstream(dir_ / "b.mershard") << "hello";
  EXPECT_TRUE(FeatureShard::Open((dir_ / "b.mershard").string())
                  .status()
                  .IsCorruption());
  EXPECT_TRUE(FeatureShard::Open((dir_ / "none").string()).status().IsNotFound());
  EXPECT_TRUE(FeatureDataset::Open((dir_ / "nodir").string()).status().IsNotFound());
}

}  // namespace
}  // namespace mer::storage
