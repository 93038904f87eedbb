// EmotionIndex: records, updates, failures, identity, stats, reopen, readers.
#include "storage/emotion_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "tests/unit/storage/index_test_util.h"

namespace mer::storage {
namespace {

using core::Quadrant;
using testing::RandomTrack;
using testing::TempDir;

std::unique_ptr<EmotionIndex> OpenOrDie(const std::string& dir,
                                        const OpenOptions& o = {}) {
  auto index = EmotionIndex::Open(dir, o);
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return index.ok() ? std::move(*index) : nullptr;
}

FailureRecord Failure(const std::string& id,
                      const std::string& reason = "bad") {
  FailureRecord f;
  f.track_id = id;
  f.path = "/m/" + id;
  f.reason = reason;
  return f;
}

bool Contains(const std::vector<EmotionIndex::Hit>& hits,
              const std::string& id) {
  return std::any_of(hits.begin(), hits.end(),
                     [&](const auto& h) { return h.track_id == id; });
}

TEST(EmotionIndexTest, RoundTripsEveryField) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  std::mt19937 rng(1);
  TrackResult t = RandomTrack(rng, "track/ä 1");
  t.tags = {{"rock", 0.9f}, {"live", -0.25f}};
  ASSERT_OK(index->Write({t}, {}));
  ASSERT_OK_AND_ASSIGN(auto got, index->GetTrack(t.track_id));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, t);
  ASSERT_OK_AND_ASSIGN(auto fp, index->GetFingerprint(t.track_id));
  ASSERT_TRUE(fp.has_value());
  EXPECT_EQ(fp->first, t.fingerprint);
  EXPECT_EQ(fp->second, "crnn-test");
  ASSERT_OK_AND_ASSIGN(auto missing, index->GetTrack("nope"));
  EXPECT_FALSE(missing.has_value());
  ASSERT_OK_AND_ASSIGN(auto rock, index->TopByTag("rock", 5));
  ASSERT_EQ(rock.size(), 1u);
  EXPECT_FLOAT_EQ(rock[0].score, 0.9f);
  ASSERT_OK(index->CheckConsistency());
}

TEST(EmotionIndexTest, UpdateMovesSecondaryKeys) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  TrackResult t;
  t.track_id = "a";
  t.valence = 0.8f;
  t.arousal = 0.7f;
  t.quadrant_probs = {0.9f, 0.05f, 0.03f, 0.02f};
  t.tags = {{"old-tag", 1}};
  t.duration_seconds = 60;
  ASSERT_OK(index->Write({t}, {}));
  ASSERT_OK_AND_ASSIGN(auto happy,
                           index->TopByMood(Quadrant::kHappy, 10, 0));
  ASSERT_TRUE(Contains(happy, "a"));

  t.valence = -0.6f;
  t.arousal = -0.5f;
  t.quadrant_probs = {0.05f, 0.05f, 0.8f, 0.1f};
  t.tags = {{"new-tag", 0.5f}};
  t.duration_seconds = 90;
  ASSERT_OK(index->Write({t}, {}));

  ASSERT_OK_AND_ASSIGN(happy, index->TopByMood(Quadrant::kHappy, 10, 0));
  EXPECT_FALSE(Contains(happy, "a"));
  ASSERT_OK_AND_ASSIGN(auto sad, index->TopByMood(Quadrant::kSad, 10, 0));
  ASSERT_TRUE(Contains(sad, "a"));
  EXPECT_FLOAT_EQ(sad[0].confidence, 0.8f);
  ASSERT_OK_AND_ASSIGN(auto old_box, index->Box(0.7f, 0.9f, 0.6f, 0.8f));
  EXPECT_TRUE(old_box.empty());
  ASSERT_OK_AND_ASSIGN(auto new_box,
                           index->Box(-0.7f, -0.5f, -0.6f, -0.4f));
  ASSERT_EQ(new_box.size(), 1u);
  EXPECT_FLOAT_EQ(new_box[0].valence, -0.6f);
  ASSERT_OK_AND_ASSIGN(auto old_tag, index->TopByTag("old-tag", 10));
  EXPECT_TRUE(old_tag.empty());
  ASSERT_OK(index->CheckConsistency());

  ASSERT_OK_AND_ASSIGN(IndexStats stats, index->Stats());
  EXPECT_EQ(stats.tracks, 1u);
  EXPECT_EQ(stats.per_quadrant[0], 0u);
  EXPECT_EQ(stats.per_quadrant[2], 1u);
  EXPECT_DOUBLE_EQ(stats.audio_hours, 90.0 / 3600);
}

TEST(EmotionIndexTest, SuccessReplacesFailureAndFailureKeepsTrack) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  FailureRecord f{"x", "/m/x.mp3", "/m/x.mp3: Invalid data", 2, {1, 2, 3}, 99};
  ASSERT_OK(index->Write({}, {f}));
  ASSERT_OK_AND_ASSIGN(auto got, index->GetFailure("x"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, f);
  ASSERT_OK_AND_ASSIGN(auto failures, index->Failures());
  EXPECT_EQ(failures.size(), 1u);
  ASSERT_OK_AND_ASSIGN(IndexStats stats, index->Stats());
  EXPECT_EQ(stats.failures, 1u);

  std::mt19937 rng(2);
  ASSERT_OK(index->Write({RandomTrack(rng, "x")}, {}));
  ASSERT_OK_AND_ASSIGN(got, index->GetFailure("x"));
  EXPECT_FALSE(got.has_value());
  ASSERT_OK_AND_ASSIGN(stats, index->Stats());
  EXPECT_EQ(stats.failures, 0u);
  EXPECT_EQ(stats.tracks, 1u);

  // A result and a failure of one id in one call: the result wins.
  ASSERT_OK(index->Write({RandomTrack(rng, "y")}, {Failure("y")}));
  ASSERT_OK_AND_ASSIGN(got, index->GetFailure("y"));
  EXPECT_FALSE(got.has_value());
  // A later failure of an indexed track keeps the track.
  ASSERT_OK(index->Write({}, {Failure("y", "gone")}));
  ASSERT_OK_AND_ASSIGN(auto y, index->GetTrack("y"));
  EXPECT_TRUE(y.has_value());
  ASSERT_OK_AND_ASSIGN(stats, index->Stats());
  EXPECT_EQ(stats.failures, 1u);
  ASSERT_OK(index->CheckConsistency());
}

TEST(EmotionIndexTest, DeleteRemovesEverything) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  std::mt19937 rng(3);
  TrackResult t = RandomTrack(rng, "gone");
  t.tags = {{"t", 1}};
  ASSERT_OK(index->Write({t, RandomTrack(rng, "kept")}, {}));
  ASSERT_OK(index->Delete("gone"));
  ASSERT_OK(index->Delete("never-there"));
  ASSERT_OK_AND_ASSIGN(auto got, index->GetTrack("gone"));
  EXPECT_FALSE(got.has_value());
  ASSERT_OK_AND_ASSIGN(auto all, index->Box(-1, 1, -1, 1));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].track_id, "kept");
  ASSERT_OK_AND_ASSIGN(auto tagged, index->TopByTag("t", 5));
  EXPECT_TRUE(tagged.empty());
  auto similar = index->Similar("gone", 3);
  EXPECT_TRUE(similar.status().IsNotFound());
  std::vector<std::string> ids;
  ASSERT_OK(index->ForEachTrackId([&](std::string_view id) {
    ids.emplace_back(id);
    return true;
  }));
  EXPECT_EQ(ids, std::vector<std::string>{"kept"});
  ASSERT_OK(index->CheckConsistency());
}

TEST(EmotionIndexTest, RejectsInvalidResultsWithoutWriting) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  std::mt19937 rng(4);
  TrackResult good = RandomTrack(rng, "good");
  TrackResult bad = RandomTrack(rng, "bad");
  bad.valence = std::nanf("");
  core::Status s = index->Write({good, bad}, {});
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("bad"), std::string::npos) << s.message();
  ASSERT_OK_AND_ASSIGN(auto got, index->GetTrack("good"));
  EXPECT_FALSE(got.has_value());
  TrackResult other_dim = RandomTrack(rng, "dim", 16);
  ASSERT_OK(index->Write({good}, {}));
  EXPECT_TRUE(index->Write({other_dim}, {}).IsInvalidArgument());
}

TEST(EmotionIndexTest, IdentityMismatchRefusedUnlessReindex) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  IndexIdentity a{"model-a", "fe1111", "{\"sr\":16000}"};
  IndexIdentity b{"model-b", "fe2222", "{\"sr\":22050}"};
  ASSERT_OK(index->CheckIdentity(a, false));
  ASSERT_OK(index->CheckIdentity(a, false));
  std::mt19937 rng(5);
  ASSERT_OK(index->Write({RandomTrack(rng, "t1"), RandomTrack(rng, "t2")},
                             {Failure("f1")}));
  ASSERT_OK(index->BuildAnn());

  core::Status s = index->CheckIdentity(b, false);
  ASSERT_TRUE(s.IsInvalidArgument());
  for (const char* part : {"model-a", "model-b", "fe1111", "fe2222"}) {
    EXPECT_NE(s.message().find(part), std::string::npos) << s.message();
  }
  // Same model, other front end: refused too.
  EXPECT_TRUE(index->CheckIdentity({"model-a", "fe9999", ""}, false)
                  .IsInvalidArgument());
  ASSERT_OK_AND_ASSIGN(IndexStats stats, index->Stats());
  EXPECT_EQ(stats.tracks, 2u);
  EXPECT_EQ(stats.identity, a);

  ASSERT_OK(index->CheckIdentity(b, true));
  ASSERT_OK_AND_ASSIGN(stats, index->Stats());
  EXPECT_EQ(stats.identity, b);
  EXPECT_EQ(stats.tracks, 0u);
  EXPECT_EQ(stats.failures, 0u);
  EXPECT_FALSE(stats.ann_fresh);
  ASSERT_OK_AND_ASSIGN(auto t1, index->GetTrack("t1"));
  EXPECT_FALSE(t1.has_value());
  ASSERT_OK_AND_ASSIGN(auto all, index->Box(-1, 1, -1, 1));
  EXPECT_TRUE(all.empty());
  ASSERT_OK(index->CheckConsistency());
  ASSERT_OK(index->CheckIdentity(b, false));
}

TEST(EmotionIndexTest, StatsAreExactAndPersistAcrossReopen) {
  TempDir dir;
  std::array<uint64_t, 4> per_quadrant{};
  int64_t micros = 0;
  {
    auto index = OpenOrDie(dir.path());
    ASSERT_NE(index, nullptr);
    std::mt19937 rng(6);
    std::vector<TrackResult> batch;
    for (int i = 0; i < 500; ++i) {
      batch.push_back(RandomTrack(rng, "t" + std::to_string(i)));
    }
    ASSERT_OK(index->Write(batch, {}));
    // Rewrite a third with new numbers, delete a tenth.
    for (int i = 0; i < 500; i += 3) {
      batch[i] = RandomTrack(rng, "t" + std::to_string(i));
      ASSERT_OK(index->Write({batch[i]}, {}));
    }
    for (int i = 0; i < 500; ++i) {
      if (i % 10 == 0) {
        ASSERT_OK(index->Delete(batch[i].track_id));
        continue;
      }
      per_quadrant[static_cast<int>(batch[i].quadrant())]++;
      micros += std::llround(batch[i].duration_seconds * 1e6);
    }
    ASSERT_OK(index->PutMeta("job/1", "{\"state\":\"done\"}"));
    EXPECT_TRUE(index->PutMeta("mer.counters", "x").IsInvalidArgument());
  }
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  ASSERT_OK_AND_ASSIGN(IndexStats stats, index->Stats());
  EXPECT_EQ(stats.tracks, 450u);
  EXPECT_EQ(stats.per_quadrant, per_quadrant);
  EXPECT_DOUBLE_EQ(stats.audio_hours, static_cast<double>(micros) / 3.6e9);
  EXPECT_EQ(stats.schema_version, EmotionIndex::kSchemaVersion);
  EXPECT_EQ(stats.embedding_dim, 8u);
  ASSERT_OK_AND_ASSIGN(auto job, index->GetMeta("job/1"));
  EXPECT_EQ(job.value_or(""), "{\"state\":\"done\"}");
  size_t streamed = 0;
  ASSERT_OK(index->ForEachTrack([&](const TrackResult& t) {
    EXPECT_EQ(t.embedding.size(), 8u);
    return ++streamed < 100;
  }));
  EXPECT_EQ(streamed, 100u);
  ASSERT_OK(index->CheckConsistency());
}

TEST(EmotionIndexTest, ReadOnlyOpenSeesDataAndRefusesWrites) {
  TempDir dir;
  std::mt19937 rng(7);
  TrackResult t = RandomTrack(rng, "ro");
  {
    auto index = OpenOrDie(dir.path());
    ASSERT_NE(index, nullptr);
    ASSERT_OK(index->Write({t}, {}));
  }
  OpenOptions ro;
  ro.read_only = true;
  auto index = OpenOrDie(dir.path(), ro);
  ASSERT_NE(index, nullptr);
  ASSERT_OK_AND_ASSIGN(auto got, index->GetTrack("ro"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, t);
  EXPECT_TRUE(index->Write({t}, {}).IsNotSupported());
  EXPECT_TRUE(index->CatchUp().IsNotSupported());

  auto missing = EmotionIndex::Open(dir.File("does-not-exist"), ro);
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
}

// A second writer on one index is a one-line error that says what holds
// it, not RocksDB's raw lock-file message.
TEST(EmotionIndexTest, SecondWriterIsRefusedWithAClearMessage) {
  TempDir dir;
  auto first = OpenOrDie(dir.File("db"));
  ASSERT_NE(first, nullptr);
  auto second = EmotionIndex::Open(dir.File("db"), OpenOptions{});
  ASSERT_FALSE(second.ok());
  const std::string m = second.status().ToString();
  EXPECT_TRUE(second.status().IsIOError()) << m;
  EXPECT_NE(m.find("in use by another writer"), std::string::npos) << m;
  EXPECT_NE(m.find(dir.File("db")), std::string::npos) << m;
}

TEST(EmotionIndexTest, SecondarySeesWritesAfterCatchUp) {
  TempDir dir;
  auto primary = OpenOrDie(dir.File("db"));
  ASSERT_NE(primary, nullptr);
  std::mt19937 rng(8);
  ASSERT_OK(primary->Write({RandomTrack(rng, "first")}, {}));
  OpenOptions so;
  so.secondary_path = dir.File("secondary");
  auto secondary = OpenOrDie(dir.File("db"), so);
  ASSERT_NE(secondary, nullptr);
  ASSERT_OK_AND_ASSIGN(auto first, secondary->GetTrack("first"));
  EXPECT_TRUE(first.has_value());

  ASSERT_OK(primary->Write({RandomTrack(rng, "second")}, {}));
  ASSERT_OK(secondary->CatchUp());
  ASSERT_OK_AND_ASSIGN(auto second, secondary->GetTrack("second"));
  EXPECT_TRUE(second.has_value());
  ASSERT_OK_AND_ASSIGN(IndexStats stats, secondary->Stats());
  EXPECT_EQ(stats.tracks, 2u);
  EXPECT_TRUE(secondary->Delete("first").IsNotSupported());
}

TEST(EmotionIndexTest, TopByMoodOrdersByConfidenceWithThreshold) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  std::mt19937 rng(9);
  std::vector<TrackResult> tracks;
  for (int i = 0; i < 300; ++i) {
    tracks.push_back(RandomTrack(rng, "m" + std::to_string(i)));
  }
  // Ties in confidence are ordered by id.
  tracks[0].quadrant_probs =
      tracks[1].quadrant_probs = {0.1f, 0.7f, 0.1f, 0.1f};
  ASSERT_OK(index->Write(tracks, {}));
  for (int q = 0; q < 4; ++q) {
    for (float min_conf : {0.0f, 0.4f}) {
      std::vector<std::pair<float, std::string>> want;
      for (const TrackResult& t : tracks) {
        if (static_cast<int>(t.quadrant()) == q && t.confidence() >= min_conf) {
          want.emplace_back(-t.confidence(), t.track_id);
        }
      }
      std::sort(want.begin(), want.end());
      if (want.size() > 20) want.resize(20);
      ASSERT_OK_AND_ASSIGN(
          auto hits, index->TopByMood(static_cast<Quadrant>(q), 20, min_conf));
      ASSERT_EQ(hits.size(), want.size()) << "quadrant " << q;
      for (size_t i = 0; i < hits.size(); ++i) {
        EXPECT_EQ(hits[i].track_id, want[i].second);
        EXPECT_EQ(hits[i].confidence, -want[i].first);
        EXPECT_EQ(static_cast<int>(hits[i].quadrant), q);
      }
    }
  }
  ASSERT_OK_AND_ASSIGN(auto none,
                           index->TopByMood(Quadrant::kTense, 5, 1.01f));
  EXPECT_TRUE(none.empty());
}

TEST(EmotionIndexTest, LastDuplicateInOneWriteWins) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  std::mt19937 rng(10);
  TrackResult a = RandomTrack(rng, "dup"), b = RandomTrack(rng, "dup");
  ASSERT_OK(index->Write({a, b}, {}));
  ASSERT_OK_AND_ASSIGN(auto got, index->GetTrack("dup"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, b);
  ASSERT_OK(index->CheckConsistency());
}

TEST(EmotionIndexTest, QueriesRunWhileOneThreadWrites) {
  TempDir dir;
  auto index = OpenOrDie(dir.path());
  ASSERT_NE(index, nullptr);
  std::mt19937 rng(11);
  std::vector<TrackResult> tracks;
  for (int i = 0; i < 400; ++i) {
    tracks.push_back(RandomTrack(rng, "c" + std::to_string(i)));
  }
  ASSERT_OK(index->Write(tracks, {}));
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  auto reader = [&](int seed) {
    std::mt19937 r(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    while (!done) {
      float v = u(r), a = u(r);
      auto box = index->Box(v - 0.2f, v + 0.2f, a - 0.2f, a + 0.2f);
      auto near = index->NearestVa(v, a, 5);
      auto top = index->TopByMood(static_cast<Quadrant>(r() % 4), 5, 0);
      auto track = index->GetTrack("c" + std::to_string(r() % 400));
      if (!box.ok() || !near.ok() || !top.ok() || !track.ok() ||
          near->size() != 5 || !track->has_value()) {
        ++errors;
        continue;
      }
      for (const auto& h : *box) {
        if (h.valence < v - 0.2f || h.valence > v + 0.2f) ++errors;
      }
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  for (int round = 0; round < 10; ++round) {
    for (int i = round; i < 400; i += 10) {
      tracks[i] = RandomTrack(rng, tracks[i].track_id);
    }
    EXPECT_TRUE(index->Write(tracks, {}).ok());
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_OK(index->CheckConsistency());
}

}  // namespace
}  // namespace mer::storage
