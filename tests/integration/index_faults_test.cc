// `mer index` against what real catalogues and clusters do to it: odd files
// (a FIFO, a link loop, a second link to a file, a 30-minute silent track, a
// 0.3 s clip, a name with spaces and non-ASCII), a read that never returns
// (the per-track watchdog), a worker rank that stops answering (the stall
// inspector), and a full filesystem (a real small tmpfs). The real binaries,
// real mpirun, real FFmpeg; faults come from `mer_faults`
// (tests/integration/mer_faults_main.cc).
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "common/core/host.h"
#include "tests/integration/index_job_fixture.h"

namespace mer {
namespace {

using Clock = std::chrono::steady_clock;

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos;
       p = text.find(what, p + 1)) {
    ++n;
  }
  return n;
}

TEST_F(IndexJobTest, OddCatalogueIndexesEveryFileOnceAndEveryBadOneFails) {
  const std::set<std::string> good = MakeGood(4);
  Encode("sub dir/Björk – “Jóga” (live).ogg", 3, 11);
  ASSERT_EQ(Shell("ffmpeg -nostdin -loglevel error -y -f lavfi -t 1800 -i "
                  "anullsrc=r=8000:cl=mono -b:a 8k " +
                      Quote((dir_ / "cat" / "silence-30min.mp3").string()),
                  nullptr, Log()),
            0);
  Encode("clip.wav", 0.3, 12);
  const fs::path c = dir_ / "cat";
  ASSERT_EQ(mkfifo((c / "pipe.mp3").c_str(), 0644), 0);
  fs::create_directory_symlink("..", c / "sub dir" / "loop");  // a loop
  fs::create_directory_symlink(c / "a", c / "a-again");  // a second link
  std::string out;
  const int rc = Shell(IndexCmd((dir_ / "idx").string(), 3), &out, Log());
  ASSERT_EQ(rc, 0) << ReadLog();
  auto idx = OpenIndex((dir_ / "idx").string());
  ASSERT_TRUE(idx);
  std::set<std::string> want = good;
  want.insert("sub dir/Björk – “Jóga” (live).ogg");
  want.insert("silence-30min.mp3");
  // Each once, under one name; folder `a` under whichever of its two names
  // the walk met first.
  std::set<std::string> ids;
  for (std::string id : TrackIds(*idx)) {
    if (id.rfind("a-again/", 0) == 0) id = "a/" + id.substr(8);
    EXPECT_TRUE(ids.insert(id).second) << id << " twice";
  }
  EXPECT_EQ(ids, want);
  const auto failures = FailureReasons(*idx);
  ASSERT_EQ(failures.size(), 2u) << out;
  EXPECT_NE(failures.at("pipe.mp3").find("not a regular file"),
            std::string::npos);
  EXPECT_NE(failures.at("clip.wav").find("too short"), std::string::npos);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["entries"], want.size() + 2);
  EXPECT_EQ(j["failed"], 2);
}

TEST_F(IndexJobTest, AReadThatNeverReturnsTimesOutAndTheJobGoesOn) {
  const std::set<std::string> good = MakeGood(3);  // catalogue order t0 t1 t2
  const std::string index = (dir_ / "idx").string();
  std::string out;
  const auto start = Clock::now();
  const int rc = Shell(
      "MER_TEST_HANG_AT=index.decode:1 " +
          IndexCmd(index, 1, "--track-timeout 1 --track-timeout-per-mb 0",
                   kMerFaults),
      &out, Log());
  const double took =
      std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(rc, 0) << ReadLog();
  EXPECT_NE(ReadLog().find("mer_faults: hanging at index.decode"),
            std::string::npos);
  auto idx = OpenIndex(index);
  ASSERT_TRUE(idx);
  const auto failures = FailureReasons(*idx);
  ASSERT_EQ(failures.size(), 1u);
  const std::string& reason = failures.begin()->second;
  EXPECT_NE(reason.find("timed out after"), std::string::npos) << reason;
  EXPECT_EQ(TrackIds(*idx).size(), good.size() - 1);
  std::printf("a hung read failed after %.1f s of job time: %s\n", took,
              reason.c_str());
}

// One decode thread (IndexCmd's) and the model thread, which decodes when
// no decoded track waits: two reads that never return hold both, so one of
// them is the model thread's, and the watchdog must put a fresh model
// thread in its place or the third track would never be labelled.
TEST_F(IndexJobTest, AModelThreadStuckInAReadIsReplaced) {
  const std::set<std::string> good = MakeGood(3);
  const std::string index = (dir_ / "idx").string();
  std::string out;
  const int rc = Shell(
      "MER_TEST_HANG_AT=index.decode:0-1 " +
          IndexCmd(index, 1, "--track-timeout 1 --track-timeout-per-mb 0",
                   kMerFaults),
      &out, Log());
  ASSERT_EQ(rc, 0) << ReadLog();
  const std::string log = ReadLog();
  EXPECT_EQ(CountOf(log, "mer_faults: hanging at index.decode"), 2) << log;
  EXPECT_NE(log.find("a fresh model thread takes its place"), std::string::npos)
      << log;
  auto idx = OpenIndex(index);
  ASSERT_TRUE(idx);
  const auto failures = FailureReasons(*idx);
  ASSERT_EQ(failures.size(), 2u) << log;
  for (const auto& [track, reason] : failures) {
    EXPECT_NE(reason.find("timed out after"), std::string::npos) << reason;
  }
  EXPECT_EQ(TrackIds(*idx).size(), good.size() - 2);
}

TEST_F(IndexJobTest, ASilentWorkerIsNamedThenTheJobAbortsAndResumes) {
  const std::set<std::string> good = MakeGood(6);
  const std::string index = (dir_ / "idx").string();
  // Rank 2's protocol loop hangs once it has finished a track: no more
  // heartbeats. (Any count from 1: one batch may finish several tracks, so
  // the loop need not see exactly 1.)
  const int rc = Shell(
      "MER_TEST_HANG_AT=index.worker_loop:1-1000000 MER_TEST_HANG_RANK=2 " +
          IndexCmd(index, 3, "--stall-warn 2 --stall-abort 5", kMerFaults),
      nullptr, Log());
  EXPECT_NE(rc, 0);
  const std::string log = ReadLog();
  const std::string who = "rank 2 on " + core::HostName();
  EXPECT_NE(log.find("worker " + who + " silent for 2 s"), std::string::npos)
      << log;
  EXPECT_NE(log.find("worker " + who + " silent for 5 s (--stall-abort 5 s)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("run the same command again"), std::string::npos);
  EXPECT_EQ(CountOf(log, "Assertion"), 0);
  // The same command without the fault completes the index.
  auto j = RunIndexJob(index, 3);
  auto idx = OpenIndex(index);
  ASSERT_TRUE(idx);
  EXPECT_EQ(TrackIds(*idx), good);
  EXPECT_TRUE(FailureReasons(*idx).empty());
}

// A tmpfs of `kib` KiB at `dir` (root only), unmounted by the destructor.
class Tmpfs {
 public:
  Tmpfs(const fs::path& dir, int kib) : dir_(dir) {
    fs::create_directories(dir);
    mounted_ = Remount(kib, /*first=*/true);
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  bool Remount(int kib, bool first = false) {
    const std::string opts = "size=" + std::to_string(kib) + "k";
    return ::mount("tmpfs", dir_.c_str(), "tmpfs",
                   first ? 0 : MS_REMOUNT, opts.c_str()) == 0;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

TEST_F(IndexJobTest, AFullDiskStopsWithOneLineAndTheRerunCompletes) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  const std::set<std::string> good = MakeGood(6);
  Tmpfs disk(dir_ / "small", 4096);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  const std::string index = (dir_ / "small" / "idx").string();
  // 1. Below --min-free-mb before anything is written.
  std::string out;
  fs::remove(Log());
  EXPECT_EQ(Shell(IndexCmd(index, 1), &out, Log()), 1);
  std::string log = ReadLog();
  EXPECT_NE(log.find("index " + index + ": 4.2 MB free on its filesystem, "
                     "below the 64.0 MB it keeps (--min-free-mb)"),
            std::string::npos)
      << log;
  EXPECT_EQ(CountOf(log, "error"), 1) << log;
  // 2. Without the margin RocksDB itself runs out of space (here while it
  // creates the index), then, with more room, a write mid-job does: each
  // time one line, no assertion, no backtrace.
  ASSERT_TRUE(disk.Remount(16));
  fs::remove(Log());
  EXPECT_EQ(Shell(IndexCmd(index, 1, "--min-free-mb 0"), &out, Log()), 1);
  log = ReadLog();
  EXPECT_NE(log.find("mer index: error: open index " + index +
                     ": no space left on the device"),
            std::string::npos)
      << log;
  EXPECT_EQ(CountOf(log, "error"), 1) << log;
  ASSERT_TRUE(disk.Remount(1024));
  {  // fill the disk: the tracks' records find no room
    std::ofstream filler(dir_ / "small" / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size()) && filler.flush()) {
    }
  }
  fs::remove(Log());
  EXPECT_EQ(Shell(IndexCmd(index, 3, "--min-free-mb 0"), &out, Log()), 1);
  log = ReadLog();
  EXPECT_NE(log.find("o space left"), std::string::npos) << log;  // [Nn]o
  EXPECT_EQ(CountOf(log, "mer index: error:"), 1) << log;
  EXPECT_EQ(CountOf(log, "Assertion"), 0) << log;
  EXPECT_EQ(CountOf(log, "Backtrace"), 0) << log;
  // 3. Space is back: the same command completes the index.
  fs::remove(dir_ / "small" / "filler");
  ASSERT_TRUE(disk.Remount(256 * 1024));
  auto j = RunIndexJob(index, 3);
  auto idx = OpenIndex(index);
  ASSERT_TRUE(idx);
  EXPECT_EQ(TrackIds(*idx), good);
}

}  // namespace
}  // namespace mer
