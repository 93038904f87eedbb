// Bad inputs are values, never crashes: each error names the file, says why,
// and carries the right code. Damaged-but-usable files decode what remains.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "common/audio/audio_decoder.h"
#include "tests/unit/audio/audio_test_util.h"

namespace mer::audio {
namespace {

using core::Status;
using testing::RunFfmpeg;
using testing::TempDir;

// Expects DecodeFile, AudioDecoder::Open and (where `probe_fails`) Probe to
// fail with `code`, a message naming the file and containing `reason`.
void ExpectFailure(const std::string& path, Status::Code code,
                   const std::string& reason, bool probe_fails = true) {
  core::Result<DecodedAudio> audio = DecodeFile(path);
  ASSERT_FALSE(audio.ok()) << path << " decoded " << audio->samples.size()
                           << " samples";
  const Status& s = audio.status();
  std::printf("  %s\n", s.ToString().c_str());
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_EQ(s.message().rfind(path + ": ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find(reason), std::string::npos) << s.message();

  auto decoder = AudioDecoder::Open(path, DecodeOptions{});
  ASSERT_FALSE(decoder.ok());
  EXPECT_EQ(decoder.status().code(), code) << decoder.status().ToString();

  if (probe_fails) {
    core::Result<AudioInfo> info = Probe(path);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), code) << info.status().ToString();
  }
}

class ErrorsTest : public ::testing::Test {
 protected:
  // Makes a 3 s stereo sine MP3 at 192 kb/s (at 128 kb/s LAME itself lowers
  // this tone's level by 5%).
  std::string MakeMp3(const std::string& name) {
    const std::string path = dir_.File(name);
    const std::string error = RunFfmpeg(
        testing::SineInput(3.0) + " -c:a libmp3lame -b:a 192k " + path, dir_);
    EXPECT_TRUE(error.empty()) << error;
    return path;
  }
  // RMS of the middle of the intact file's decode (~0.354, the sine's).
  double IntactRms(const std::string& path) {
    core::Result<DecodedAudio> audio = DecodeFile(path);
    EXPECT_TRUE(audio.ok()) << audio.status().ToString();
    if (!audio.ok()) return 0;
    const size_t n = audio->samples.size();
    const double rms = testing::Rms(audio->samples, n / 10, n - n / 10);
    EXPECT_NEAR(rms, 0.354, 0.015);
    return rms;
  }
  void RequireFfmpeg() {
    if (!testing::HaveFfmpeg()) {
      GTEST_SKIP() << "the ffmpeg CLI is not installed; cannot make test files";
    }
  }

  TempDir dir_;
};

TEST_F(ErrorsTest, MissingFileIsNotFound) {
  ExpectFailure(dir_.File("nope.mp3"), Status::Code::kNotFound,
                "No such file or directory");
}

TEST_F(ErrorsTest, DirectoryIsInvalidArgument) {
  const std::string path = dir_.File("album.mp3");
  std::filesystem::create_directory(path);
  ExpectFailure(path, Status::Code::kInvalidArgument, "directory");
}

TEST_F(ErrorsTest, FifoIsRefusedWithoutBlocking) {
  const std::string path = dir_.File("x.mp3");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  ExpectFailure(path, Status::Code::kInvalidArgument, "not a regular file");
}

TEST_F(ErrorsTest, EmptyFileIsCorruption) {
  const std::string path = dir_.File("empty.mp3");
  testing::WriteBytes(path, "");
  ExpectFailure(path, Status::Code::kCorruption, "empty");
}

TEST_F(ErrorsTest, TextNamedMp3IsCorruption) {
  const std::string path = dir_.File("notes.mp3");
  testing::WriteBytes(path, "These are my notes, not a song.\nLine two.\n");
  ExpectFailure(path, Status::Code::kCorruption, "not a recognised audio file");
}

TEST_F(ErrorsTest, RandomBytesNamedFlacIsCorruption) {
  std::mt19937 rng(42);
  std::string bytes(20000, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const std::string path = dir_.File("noise.flac");
  testing::WriteBytes(path, bytes);
  ExpectFailure(path, Status::Code::kCorruption, "");
}

TEST_F(ErrorsTest, VideoWithoutAudioIsNotSupported) {
  RequireFfmpeg();
  if (IsSkipped()) return;
  const std::string path = dir_.File("silent-film.mp4");
  const std::string error = RunFfmpeg(
      "-f lavfi -i testsrc=size=64x48:rate=10:duration=1 -c:v mpeg4 " + path,
      dir_);
  ASSERT_TRUE(error.empty()) << error;
  ExpectFailure(path, Status::Code::kNotSupported, "no audio stream");
}

TEST_F(ErrorsTest, PngImageIsNotSupported) {
  RequireFfmpeg();
  if (IsSkipped()) return;
  const std::string path = dir_.File("cover.png");
  const std::string error =
      RunFfmpeg("-f lavfi -i testsrc=size=32x32 -frames:v 1 " + path, dir_);
  ASSERT_TRUE(error.empty()) << error;
  ExpectFailure(path, Status::Code::kNotSupported, "no audio stream");
}

TEST_F(ErrorsTest, Mp3CutToItsFirst200BytesIsCorruption) {
  RequireFfmpeg();
  if (IsSkipped()) return;
  const std::string full = MakeMp3("full.mp3");
  const std::string path = dir_.File("stub.mp3");
  testing::WriteBytes(path, testing::ReadBytes(full).substr(0, 200));
  ExpectFailure(path, Status::Code::kCorruption, "");
}

TEST_F(ErrorsTest, Mp3TruncatedHalfwayDecodesWhatRemains) {
  RequireFfmpeg();
  if (IsSkipped()) return;
  const std::string full = MakeMp3("full.mp3");
  const double level = IntactRms(full);
  const std::string bytes = testing::ReadBytes(full);
  const std::string path = dir_.File("half.mp3");
  testing::WriteBytes(path, bytes.substr(0, bytes.size() / 2));
  core::Result<DecodedAudio> audio = DecodeFile(path);
  ASSERT_TRUE(audio.ok()) << audio.status().ToString();
  EXPECT_NEAR(audio->seconds(), 1.5, 0.1);
  const size_t n = audio->samples.size();
  EXPECT_NEAR(testing::Rms(audio->samples, n / 10, n - n / 10), level, 0.003);
}

TEST_F(ErrorsTest, Mp3WithGarbageInTheMiddleStillDecodes) {
  RequireFfmpeg();
  if (IsSkipped()) return;
  const std::string full = MakeMp3("full.mp3");
  const double level = IntactRms(full);
  std::string bytes = testing::ReadBytes(full);
  std::mt19937 rng(7);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 3000; ++i) {
    bytes[i] = static_cast<char>(rng());
  }
  const std::string path = dir_.File("scratched.mp3");
  testing::WriteBytes(path, bytes);
  core::Result<DecodedAudio> audio = DecodeFile(path);
  ASSERT_TRUE(audio.ok()) << audio.status().ToString();
  std::printf("  corrupt packets skipped: %d, seconds: %.3f\n",
              audio->corrupt_packets_skipped, audio->seconds());
  // About 3000 bytes at 192 kb/s (0.13 s) are lost at most.
  EXPECT_GT(audio->seconds(), 2.5);
  EXPECT_LT(audio->seconds(), 3.05);
  const size_t n = audio->samples.size();
  EXPECT_NEAR(testing::Rms(audio->samples, n / 10, n / 3), level, 0.003);
  for (float x : audio->samples) ASSERT_LE(std::abs(x), 1.5f);
}

// Root ignores file modes, so the check runs in a child that drops to the
// unprivileged user 65534 ("nobody") and sends its message through a pipe.
TEST_F(ErrorsTest, UnreadableFileIsIOError) {
  RequireFfmpeg();
  if (IsSkipped()) return;
  const std::string path = MakeMp3("locked.mp3");
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  if (::geteuid() != 0) {
    ExpectFailure(path, Status::Code::kIOError, "Permission denied");
    return;
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string report;
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      report = "SKIP setuid(65534) failed";
    } else {
      core::Result<DecodedAudio> audio = DecodeFile(path);
      report = audio.ok()
                   ? std::string("OK decoded")
                   : std::to_string(static_cast<int>(audio.status().code())) +
                         " " + audio.status().message();
    }
    const ssize_t written = ::write(fds[1], report.data(), report.size());
    ::_exit(written == static_cast<ssize_t>(report.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string report;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof(buffer))) > 0)
    report.append(buffer, n);
  ::close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << report;
  if (report.rfind("SKIP", 0) == 0) {
    GTEST_SKIP() << report.substr(5) << "; cannot test permission denied";
  }
  std::printf("  child: %s\n", report.c_str());
  const std::string expected_code =
      std::to_string(static_cast<int>(Status::Code::kIOError)) + " ";
  EXPECT_EQ(report.rfind(expected_code + path + ": ", 0), 0u) << report;
  EXPECT_NE(report.find("Permission denied"), std::string::npos) << report;
}

// Twenty minutes streamed in 4096-sample reads: the count is exact and the
// decoder never holds more than a frame of pending output.
TEST_F(ErrorsTest, LongFileStreamsInBoundedChunks) {
  RequireFfmpeg();
  if (IsSkipped()) return;
  const std::string path = dir_.File("long.mp3");
  const std::string error = RunFfmpeg(
      "-f lavfi -i \"sine=frequency=440:sample_rate=22050:duration=1200\" "
      "-ac 1 -c:a libmp3lame -b:a 32k " +
          path,
      dir_);
  ASSERT_TRUE(error.empty()) << error;
  DecodeOptions options;
  options.sample_rate = 16000;
  auto decoder = AudioDecoder::Open(path, options);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  EXPECT_NEAR((*decoder)->info().duration_seconds, 1200, 1);
  std::vector<float> chunk;
  chunk.reserve(4096);
  const float* storage = chunk.data();
  size_t total = 0;
  for (;;) {
    chunk.clear();
    core::Result<size_t> n = (*decoder)->Read(4096, &chunk);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    ASSERT_EQ(chunk.size(), *n);
    total += *n;
  }
  EXPECT_EQ(chunk.data(), storage) << "Read grew the caller's buffer";
  EXPECT_NEAR(static_cast<double>(total), 1200.0 * 16000, 16000 * 0.05);
}

}  // namespace
}  // namespace mer::audio
