// TrainingData from feature shards: labels and tags reach the tracks, and
// the digest of data without tags is the one recorded before tags existed.
#include "worker/train/training_data.h"
#include "tests/util/test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace mer::worker {
namespace {

namespace fs = std::filesystem;

class TrainingDataTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }

  // Tracks a (Q1, group g1, 3 frames), b (no quadrant, V-A 0.5/-0.25, no
  // group, 4 frames), c (Q4, group g2, 5 frames) of 2 mel bands; with
  // `tags`, a: {happy, loud}, b: {}, c: {loud}.
  std::string WriteShards(const std::string& name, bool tags) {
    const std::string dir = (dir_ / name).string();
    fs::create_directories(dir);
    std::optional<std::vector<std::string>> names;
    // "unused" is in the set's tags but on no track that reached the shard.
    if (tags) names = std::vector<std::string>{"happy", "loud", "unused"};
    auto w = storage::FeatureShardWriter::Create(storage::ShardPath(dir, 0, 1),
                                                 2, {{"preset", "test"}},
                                                 "fe1-test", names);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    struct Row {
      const char* id;
      const char* group;
      int quadrant;
      bool va;
      int frames;
      std::vector<std::string> tags;
    };
    const std::vector<Row> rows = {{"a", "g1", 0, false, 3, {"happy", "loud"}},
                                   {"b", "", -1, true, 4, {}},
                                   {"c", "g2", 3, false, 5, {"loud"}}};
    for (const Row& r : rows) {
      storage::ShardTrack t;
      t.track_id = r.id;
      t.group = r.group;
      if (r.quadrant >= 0) t.quadrant = static_cast<core::Quadrant>(r.quadrant);
      if (r.va) {
        t.valence = 0.5f;
        t.arousal = -0.25f;
      }
      if (tags) t.tags = r.tags;
      std::vector<float> mel(2 * r.frames, -50.0f);
      EXPECT_TRUE((*w)->Add(t, mel.data(), r.frames).ok());
    }
    EXPECT_TRUE((*w)->Finish().ok());
    return dir;
  }
  test::TempDir tmp_;
  fs::path dir_;
};

TEST_F(TrainingDataTest, WithoutTagsTheDigestIsUnchanged) {
  auto data = TrainingData::FromShards(WriteShards("plain", false));
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_FALSE(data->has_tags());
  EXPECT_TRUE(data->tag_names().empty());
  ASSERT_EQ(data->tracks().size(), 3u);
  EXPECT_EQ(data->tracks()[1].quadrant, -1);
  EXPECT_EQ(data->tracks()[1].group, "b");
  EXPECT_TRUE(data->tracks()[1].has_va);
  EXPECT_TRUE(data->tracks()[0].tags.empty());
  // FNV-1a of the pre-tags layout (front-end digest; per track id, group,
  // quadrant, frames, V-A), computed independently of this code.
  EXPECT_EQ(data->Digest(), "td-32c22005900bb363");
}

TEST_F(TrainingDataTest, TagsBecomeZeroOneVectorsOverTheirUnion) {
  auto data = TrainingData::FromShards(WriteShards("tags", true));
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_TRUE(data->has_tags());
  // The union of the tracks' tags, not the shard's list ("unused").
  EXPECT_EQ(data->tag_names(), (std::vector<std::string>{"happy", "loud"}));
  ASSERT_EQ(data->tracks().size(), 3u);
  EXPECT_EQ(data->tracks()[0].tags, (std::vector<uint8_t>{1, 1}));
  EXPECT_EQ(data->tracks()[1].tags, (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(data->tracks()[2].tags, (std::vector<uint8_t>{0, 1}));
  auto plain = TrainingData::FromShards(WriteShards("plain", false));
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(data->Digest(), plain->Digest());
}

TEST_F(TrainingDataTest, AShardTrackWithoutFramesIsAFailureNotASilentDrop) {
  const std::string dir = (dir_ / "empty-track").string();
  fs::create_directories(dir);
  ASSERT_OK_AND_ASSIGN(auto w, storage::FeatureShardWriter::Create(
                                   storage::ShardPath(dir, 0, 1), 2,
                                   {{"preset", "test"}}, "fe1-test"));
  storage::ShardTrack good, silent;
  good.track_id = "good";
  good.quadrant = core::Quadrant::kHappy;
  silent.track_id = "silent";
  silent.path = "/music/silent.mp3";
  silent.quadrant = core::Quadrant::kSad;
  const std::vector<float> mel(2 * 4, -40.0f);
  ASSERT_OK(w->Add(good, mel.data(), 4));
  ASSERT_OK(w->Add(silent, mel.data(), 0));
  ASSERT_OK(w->Finish());
  ASSERT_OK_AND_ASSIGN(TrainingData data, TrainingData::FromShards(dir));
  ASSERT_EQ(data.tracks().size(), 1u);
  EXPECT_EQ(data.tracks()[0].track_id, "good");
  ASSERT_EQ(data.failures().size(), 1u);
  EXPECT_EQ(data.failures()[0].track_id, "silent");
  EXPECT_EQ(data.failures()[0].path, "/music/silent.mp3");
  EXPECT_NE(data.failures()[0].reason.find("no audio frames"),
            std::string::npos);
}

}  // namespace
}  // namespace mer::worker
