// End-to-end tests of `mer index` and `mer query`: the real binary, started
// by the test under real mpirun (np 3: a coordinator and two workers) or as
// one rank, on a catalogue of real files encoded here with the ffmpeg CLI
// plus broken ones; the index is then read back with EmotionIndex.
// Registered with mer_add_mpi_test(... NP 0): this binary is not an MPI
// program itself, it launches mpirun.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "tests/integration/index_job_fixture.h"

namespace mer {
namespace {

TEST_F(IndexJobTest, ThreeRanksIndexGoodFilesOnceAndListEveryBadOne) {
  const std::set<std::string> good = MakeGood(8);
  const std::set<std::string> bad = MakeBad();
  const std::string index = (dir_ / "idx").string();
  nlohmann::json s = RunIndexJob(index, 3, "--chunk 2");
  EXPECT_EQ(s["workers"], 2);
  EXPECT_EQ(s["entries"], good.size() + bad.size());
  EXPECT_EQ(s["indexed"], good.size());
  EXPECT_EQ(s["failed"], bad.size());
  EXPECT_EQ(s["ann_built"], true);

  auto idx = OpenIndex(index);
  ASSERT_NE(idx, nullptr);
  EXPECT_EQ(TrackIds(*idx), good);
  auto reasons = FailureReasons(*idx);
  std::set<std::string> failed;
  for (const auto& [id, reason] : reasons) {
    failed.insert(id);
    // The reason names the file and says something beyond it.
    EXPECT_NE(reason.find(id), std::string::npos) << reason;
    EXPECT_GT(reason.size(), (Cat() + "/" + id).size() + 2) << reason;
  }
  EXPECT_EQ(failed, bad);
  EXPECT_NE(reasons["short.wav"].find("too short"), std::string::npos);
  EXPECT_TRUE(idx->CheckConsistency().ok());
  auto stats = idx->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->tracks, good.size());
  EXPECT_TRUE(stats->ann_fresh);
  // Every track carries its timeline, embedding and a duration.
  for (const std::string& id : good) {
    auto t = idx->GetTrack(id);
    ASSERT_TRUE(t.ok() && t->has_value()) << id;
    EXPECT_GE((*t)->duration_seconds, 2.9);
    EXPECT_EQ((*t)->embedding.size(), 16u);
    EXPECT_FALSE((*t)->timeline.empty());
  }

  // mer query --failures lists every bad file with its reason.
  std::string out;
  ASSERT_EQ(
      Shell(Quote(kMer) + " query --json --failures --index " + Quote(index),
            &out, Log()),
      0);
  std::set<std::string> listed;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    listed.insert(j["track_id"].get<std::string>());
    EXPECT_FALSE(j["reason"].get<std::string>().empty());
  }
  EXPECT_EQ(listed, bad);
}

TEST_F(IndexJobTest, KilledJobRerunEqualsAnUninterruptedRun) {
  const std::set<std::string> good = MakeGood(10);
  const std::set<std::string> bad = {"empty.mp3"};
  std::ofstream(dir_ / "cat" / "empty.mp3");
  const std::string ref = (dir_ / "ref").string();
  RunIndexJob(ref, 1);

  // Killed (SIGKILL, rank 0) after 3 tracks were written, one per batch.
  const std::string killed = (dir_ / "killed").string();
  const int rc =
      Shell("MER_TEST_KILL_AT=index.written:3 " +
                IndexCmd(killed, 3, "--chunk 1 --write-batch 1", kMerFaults),
            nullptr, Log());
  EXPECT_NE(rc, 0);
  {
    auto idx = OpenIndex(killed);
    ASSERT_NE(idx, nullptr);
    auto stats = idx->Stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_GE(stats->tracks + stats->failures, 3u);
    EXPECT_LT(stats->tracks + stats->failures, good.size() + bad.size());
    EXPECT_TRUE(idx->CheckConsistency().ok());
  }
  // Also killed from outside, at whatever moment one second falls on.
  Shell("timeout -s KILL 1 " + IndexCmd(killed, 1, "--write-batch 1"), nullptr,
        Log());

  nlohmann::json s = RunIndexJob(killed, 3, "--chunk 2");
  EXPECT_EQ(s["skipped"].get<int>() + s["indexed"].get<int>() +
                s["failed"].get<int>(),
            static_cast<int>(good.size() + bad.size()));
  EXPECT_GE(s["skipped"].get<int>(), 3);

  auto a = OpenIndex(ref), b = OpenIndex(killed);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(TrackIds(*a), good);
  EXPECT_EQ(TrackIds(*b), good);
  auto fa = FailureReasons(*a), fb = FailureReasons(*b);
  EXPECT_EQ(fa, fb);
  EXPECT_TRUE(b->CheckConsistency().ok());
  auto sa = a->Stats(), sb = b->Stats();
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(sa->tracks, sb->tracks);
  EXPECT_EQ(sa->failures, sb->failures);
  EXPECT_TRUE(sb->ann_fresh);
  for (const std::string& id : good) {
    auto ta = a->GetTrack(id), tb = b->GetTrack(id);
    ASSERT_TRUE(ta.ok() && tb.ok() && *ta && *tb);
    // Same model, same audio: the same numbers (batches differ between the
    // runs, so allow float rounding).
    EXPECT_NEAR((*ta)->valence, (*tb)->valence, 1e-4) << id;
    EXPECT_NEAR((*ta)->arousal, (*tb)->arousal, 1e-4) << id;
    EXPECT_EQ((*ta)->fingerprint, (*tb)->fingerprint) << id;
    EXPECT_EQ((*ta)->timeline.size(), (*tb)->timeline.size()) << id;
  }
}

TEST_F(IndexJobTest, IncrementalRunReindexesOnlyChangedAndNewAndPrunes) {
  const std::set<std::string> good = MakeGood(5);
  const std::string index = (dir_ / "idx").string();
  RunIndexJob(index, 1);
  nlohmann::json again = RunIndexJob(index, 1);
  EXPECT_EQ(again["skipped"], good.size());
  EXPECT_EQ(again["indexed"], 0);

  // Change one file (new content, longer), add one, remove one.
  const std::string changed = *good.begin(), removed = *good.rbegin();
  uint64_t old_size = 0;
  {
    auto idx = OpenIndex(index);
    ASSERT_NE(idx, nullptr);
    old_size = (*idx->GetTrack(changed))->fingerprint.size;
  }
  Encode(changed, 8.0, 42);
  Encode("new/added.ogg", 3.0, 43);
  fs::remove(dir_ / "cat" / removed);
  nlohmann::json s = RunIndexJob(index, 3, "--prune");
  EXPECT_EQ(s["indexed"], 2);
  EXPECT_EQ(s["skipped"], good.size() - 2);
  EXPECT_EQ(s["pruned"], 1);

  auto idx = OpenIndex(index);
  ASSERT_NE(idx, nullptr);
  std::set<std::string> expect = good;
  expect.erase(removed);
  expect.insert("new/added.ogg");
  EXPECT_EQ(TrackIds(*idx), expect);
  auto t = idx->GetTrack(changed);
  ASSERT_TRUE(t.ok() && *t);
  EXPECT_NE((*t)->fingerprint.size, old_size);
  EXPECT_GE((*t)->duration_seconds, 7.9);
  EXPECT_TRUE(idx->CheckConsistency().ok());
}

TEST_F(IndexJobTest, QueriesAnswerFromTheIndex) {
  const std::set<std::string> good = MakeGood(6);
  const std::string index = (dir_ / "idx").string();
  RunIndexJob(index, 1);
  auto idx = OpenIndex(index);
  ASSERT_NE(idx, nullptr);
  // --mood: every track of the quadrant, by confidence descending.
  auto stats = idx->Stats();
  ASSERT_TRUE(stats.ok());
  for (const char* mood : {"happy", "tense", "sad", "calm"}) {
    std::string out;
    ASSERT_EQ(Shell(Quote(kMer) + " query --json --limit 100 --mood " + mood +
                        " --index " + Quote(index),
                    &out, Log()),
              0);
    std::istringstream lines(out);
    float last = 2;
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line);
      EXPECT_EQ(j["mood"], mood);
      EXPECT_LE(j["confidence"].get<float>(), last);
      last = j["confidence"].get<float>();
    }
  }
  // One emotion per track: every mood's tracks are exactly the tracks whose
  // V-A point lies in its quadrant (the test bundle has a "va" head).
  const std::map<std::string, std::string> boxes = {{"happy", "0,1,0,1"},
                                                    {"tense", "-1,0,0,1"},
                                                    {"sad", "-1,0,-1,0"},
                                                    {"calm", "0,1,-1,0"}};
  size_t moods_total = 0;
  for (const auto& [mood, box] : boxes) {
    std::string by_mood, by_box;
    ASSERT_EQ(Shell(Quote(kMer) + " query --json --limit 1000 --mood " + mood +
                        " --index " + Quote(index),
                    &by_mood, Log()),
              0);
    ASSERT_EQ(Shell(Quote(kMer) + " query --json --limit 1000 --box " + box +
                        " --index " + Quote(index),
                    &by_box, Log()),
              0);
    auto ids = [](const std::string& lines) {
      std::set<std::string> out;
      std::istringstream in(lines);
      for (std::string line; std::getline(in, line);) {
        out.insert(nlohmann::json::parse(line)["track_id"].get<std::string>());
      }
      return out;
    };
    EXPECT_EQ(ids(by_mood), ids(by_box)) << mood;
    moods_total += ids(by_mood).size();
  }
  EXPECT_EQ(moods_total, good.size());
  std::string out;
  ASSERT_EQ(Shell(Quote(kMer) + " query --json --stats --index " + Quote(index),
                  &out, Log()),
            0);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["tracks"], good.size());
  // --near with k = all tracks returns every track, nearest first.
  ASSERT_EQ(
      Shell(Quote(kMer) + " query --json --near 0.1,-0.2 --k 100 --index " +
                Quote(index),
            &out, Log()),
      0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'),
            static_cast<long>(good.size()));
  // --similar and --track.
  ASSERT_EQ(Shell(Quote(kMer) + " query --json --similar " +
                      Quote(*good.begin()) + " --k 3 --index " + Quote(index),
                  &out, Log()),
            0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  ASSERT_EQ(Shell(Quote(kMer) + " query --json --track " +
                      Quote(*good.begin()) + " --index " + Quote(index),
                  &out, Log()),
            0);
  EXPECT_FALSE(nlohmann::json::parse(out)["timeline"].empty());
  // Usage errors exit 2; a missing track exits 1.
  EXPECT_EQ(
      Shell(Quote(kMer) + " query --index " + Quote(index), nullptr, Log()), 2);
  EXPECT_EQ(Shell(Quote(kMer) + " query --track nope --index " + Quote(index),
                  nullptr, Log()),
            1);
  EXPECT_EQ(
      Shell(Quote(kMer) + " index --catalogue " + Quote(Cat()) + " --model " +
                Quote(model_) + " --index " + Quote(index) + " --device tpu",
            nullptr, Log()),
      2);
}

}  // namespace
}  // namespace mer
