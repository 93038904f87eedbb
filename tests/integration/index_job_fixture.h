// The fixture of the end-to-end `mer index` tests (index_job_test.cc,
// index_faults_test.cc): the real binaries, real mpirun, a catalogue of real
// files encoded with the ffmpeg CLI, the index read back with EmotionIndex.
#ifndef MER_TESTS_INTEGRATION_INDEX_JOB_FIXTURE_H_
#define MER_TESTS_INTEGRATION_INDEX_JOB_FIXTURE_H_

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "storage/emotion_index.h"
#include "tests/util/test_util.h"

namespace mer {
namespace fs = std::filesystem;

inline const std::string kMer = MER_BINARY;
// `mer` with a fault handler: MER_TEST_KILL_AT=POINT:COUNT kills it there.
inline const std::string kMerFaults = MER_FAULTS_BINARY;
inline const std::string kMakeBundle = MER_MAKE_BUNDLE;
inline const std::string kMpirun =
    std::string(MER_MPIEXEC) +
    " --oversubscribe --bind-to none --mca btl self,vader"
    " --mca btl_vader_single_copy_mechanism none --timeout 300";

inline std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Runs a shell command; returns its exit status (128 + signal when killed),
// with stdout in *out.
inline int Shell(const std::string& cmd, std::string* out = nullptr,
          const std::string& log = "/dev/null") {
  const std::string file = log + ".out";
  const int st =
      std::system((cmd + " > " + Quote(file) + " 2>> " + Quote(log)).c_str());
  if (out) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

inline bool HaveFfmpeg() {
  return std::system("ffmpeg -version > /dev/null 2>&1") == 0;
}

class IndexJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveFfmpeg()) GTEST_SKIP() << "the ffmpeg CLI is not installed";
    tmp_ = std::make_unique<test::TempDir>();
    dir_ = tmp_->path();
    fs::create_directories(dir_ / "cat");
    model_ = (dir_ / "model.merm").string();
    ASSERT_EQ(Shell(Quote(kMakeBundle) + " " + Quote(model_), nullptr, Log()),
              0);
  }
  std::string Log() const { return (dir_ / "log").string(); }
  std::string Cat() const { return (dir_ / "cat").string(); }

  // An encoded file of `seconds` of a tone (frequency by `seed`) + noise.
  void Encode(const std::string& rel, double seconds, int seed,
              const std::string& extra = "") {
    fs::create_directories((dir_ / "cat" / rel).parent_path());
    const std::string src =
        "-f lavfi -i 'sine=frequency=" + std::to_string(220 + 70 * seed) +
        ":duration=" + std::to_string(seconds) +
        "' -f lavfi -i 'anoisesrc=color=pink:amplitude=0.1:seed=" +
        std::to_string(seed) + ":duration=" + std::to_string(seconds) +
        "' -filter_complex amix=inputs=2";
    ASSERT_EQ(Shell("ffmpeg -nostdin -loglevel error -y " + src + " " + extra +
                        " " + Quote((dir_ / "cat" / rel).string()),
                    nullptr, Log()),
              0);
  }
  // Good files (several codecs) -> their ids.
  std::set<std::string> MakeGood(int count) {
    static const char* kExt[] = {".mp3", ".ogg", ".flac", ".wav", ".m4a"};
    std::set<std::string> ids;
    for (int i = 0; i < count; ++i) {
      std::string rel = (i % 3 ? "a/" : "") + std::string("t") +
                        std::to_string(i) + kExt[i % 5];
      Encode(rel, 3.0 + i % 4, i);
      ids.insert(rel);
    }
    return ids;
  }
  // Broken files -> their ids.
  std::set<std::string> MakeBad() {
    const fs::path c = dir_ / "cat";
    std::ofstream(c / "empty.mp3");                          // empty
    std::ofstream(c / "text.mp3") << "this is not audio\n";  // text
    Encode("whole.mp3", 4, 99);
    {  // truncated: the first 1500 bytes of an mp3
      std::ifstream in(c / "whole.mp3", std::ios::binary);
      std::string head(1500, '\0');
      in.read(head.data(), head.size());
      std::ofstream(c / "truncated.mp3", std::ios::binary) << head;
      fs::remove(c / "whole.mp3");
    }
    // no audio stream: video only
    EXPECT_EQ(Shell("ffmpeg -nostdin -loglevel error -y -f lavfi -i "
                    "testsrc=duration=2:size=64x64:rate=10 -an " +
                        Quote((c / "video.mp4").string()),
                    nullptr, Log()),
              0);
    // unreadable: a link to nothing (root reads any mode, so no chmod)
    fs::create_symlink(dir_ / "nowhere.ogg", c / "dangling.ogg");
    Encode("short.wav", 0.3, 5);  // too short
    return {"empty.mp3", "text.mp3",     "truncated.mp3",
            "video.mp4", "dangling.ogg", "short.wav"};
  }

  std::string IndexCmd(const std::string& index, int np,
                       const std::string& extra = "",
                       const std::string& binary = kMer) const {
    std::string cmd = Quote(binary) + " index --catalogue " + Quote(Cat()) +
                      " --model " + Quote(model_) + " --index " + Quote(index) +
                      " --no-progress --json --decode-threads 1 "
                      "--model-threads 1 " +
                      extra;
    return np > 1 ? kMpirun + " -np " + std::to_string(np) + " " + cmd : cmd;
  }
  nlohmann::json RunIndexJob(const std::string& index, int np,
                             const std::string& extra = "") {
    std::string out;
    const int rc = Shell(IndexCmd(index, np, extra), &out, Log());
    EXPECT_EQ(rc, 0) << "log:\n" << ReadLog();
    auto j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }
  std::string ReadLog() const {
    std::ifstream in(Log());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static std::unique_ptr<storage::EmotionIndex> OpenIndex(
      const std::string& d) {
    storage::OpenOptions o;
    o.read_only = true;
    o.create_if_missing = false;
    auto idx = storage::EmotionIndex::Open(d, o);
    EXPECT_TRUE(idx.ok()) << idx.status().ToString();
    return idx.ok() ? std::move(*idx) : nullptr;
  }
  static std::set<std::string> TrackIds(const storage::EmotionIndex& idx) {
    std::set<std::string> ids;
    EXPECT_TRUE(idx.ForEachTrackId([&](std::string_view id) {
                     ids.insert(std::string(id));
                     return true;
                   })
                    .ok());
    return ids;
  }
  static std::map<std::string, std::string> FailureReasons(
      const storage::EmotionIndex& idx) {
    std::map<std::string, std::string> m;
    auto f = idx.Failures();
    EXPECT_TRUE(f.ok());
    for (const auto& r : *f) m[r.track_id] = r.reason;
    return m;
  }

  std::unique_ptr<test::TempDir> tmp_;  // made after the ffmpeg check
  fs::path dir_;
  std::string model_;
};

}  // namespace mer

#endif  // MER_TESTS_INTEGRATION_INDEX_JOB_FIXTURE_H_
