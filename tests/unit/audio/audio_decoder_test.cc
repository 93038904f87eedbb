// Decoding real files made with the ffmpeg CLI: a 3 s, 440 Hz stereo sine at
// amplitude 0.5 (RMS 0.354) in every container/codec mer reads.
#include "common/audio/audio_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "tests/unit/audio/audio_test_util.h"

namespace mer::audio {
namespace {

using testing::RunFfmpeg;
using testing::TempDir;

constexpr double kSeconds = 3.0;
constexpr double kHz = 440.0;
constexpr double kRms = 0.5 / 1.4142135623730951;

struct Format {
  const char* name;       // test name suffix
  const char* file;       // output file name
  const char* encode;     // ffmpeg output arguments
  bool video;             // add a video track
  const char* container;  // expected AudioInfo.container
  const char* codec;      // expected AudioInfo.codec
  int rate;               // expected AudioInfo.sample_rate
};

const Format kFormats[] = {
    {"Mp3", "sine.mp3", "-c:a libmp3lame -b:a 192k", false, "mp3", "mp3",
     44100},
    {"Mp3Vbr", "sine-vbr.mp3", "-c:a libmp3lame -q:a 4", false, "mp3", "mp3",
     44100},
    {"OggVorbis", "sine.ogg", "-c:a libvorbis -q:a 5", false, "ogg", "vorbis",
     44100},
    {"Opus", "sine.opus", "-c:a libopus -b:a 128k", false, "ogg", "opus",
     48000},
    {"Flac", "sine.flac", "-c:a flac", false, "flac", "flac", 44100},
    {"Wav", "sine.wav", "-c:a pcm_s16le", false, "wav", "pcm_s16le", 44100},
    {"M4aAac", "sine.m4a", "-c:a aac -b:a 192k", false,
     "mov,mp4,m4a,3gp,3g2,mj2", "aac", 44100},
    {"Mp4Video", "clip.mp4", "-c:v mpeg4 -c:a aac -b:a 192k -shortest", true,
     "mov,mp4,m4a,3gp,3g2,mj2", "aac", 44100},
    {"MkvVideo", "clip.mkv", "-c:v mpeg4 -c:a libvorbis -shortest", true,
     "matroska,webm", "vorbis", 44100},
};

// Names the parameter in test listings ("...StreamingReadsMatch/Opus").
void PrintTo(const Format& format, std::ostream* os) { *os << format.name; }

class FormatTest : public ::testing::TestWithParam<Format> {
 protected:
  void SetUp() override {
    if (!testing::HaveFfmpeg()) {
      GTEST_SKIP() << "the ffmpeg CLI is not installed; cannot make test files";
    }
    const Format& f = GetParam();
    path_ = dir_.File(f.file);
    std::string args;
    if (f.video) {
      args += "-f lavfi -i testsrc=size=64x48:rate=10:duration=" +
              std::to_string(kSeconds) + " ";
    }
    args += testing::SineInput(kSeconds) + " " + f.encode + " " + path_;
    const std::string error = RunFfmpeg(args, dir_);
    ASSERT_TRUE(error.empty()) << error;
  }

  TempDir dir_;
  std::string path_;
};

TEST_P(FormatTest, ProbeReportsTheStream) {
  const Format& f = GetParam();
  core::Result<AudioInfo> info = Probe(path_);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->path, path_);
  EXPECT_EQ(info->container, f.container);
  EXPECT_EQ(info->codec, f.codec);
  EXPECT_EQ(info->channels, 2);
  EXPECT_EQ(info->sample_rate, f.rate);
  EXPECT_NEAR(info->duration_seconds, kSeconds, 0.1);
  if (f.codec != std::string("flac")) {
    EXPECT_GT(info->bit_rate, 0);
  }
}

TEST_P(FormatTest, DecodesDurationLevelAndFrequency) {
  for (int rate : {16000, 22050}) {
    SCOPED_TRACE("sample_rate " + std::to_string(rate));
    DecodeOptions options;
    options.sample_rate = rate;
    core::Result<DecodedAudio> audio = DecodeFile(path_, options);
    ASSERT_TRUE(audio.ok()) << audio.status().ToString();
    EXPECT_EQ(audio->sample_rate, rate);
    EXPECT_EQ(audio->info.codec, GetParam().codec);
    EXPECT_EQ(audio->corrupt_packets_skipped, 0);
    EXPECT_NEAR(audio->seconds(), kSeconds, 0.05);
    // Skip the edges (encoder fade-in, codec padding).
    const size_t begin = rate / 5;
    const size_t end = audio->samples.size() - rate / 5;
    EXPECT_NEAR(testing::Rms(audio->samples, begin, end), kRms, kRms * 0.03);
    EXPECT_NEAR(testing::ZeroCrossingHz(audio->samples, begin, end, rate), kHz,
                2.0);
    const auto [lo, hi] =
        std::minmax_element(audio->samples.begin(), audio->samples.end());
    EXPECT_GT(*lo, -0.6f);
    EXPECT_LT(*hi, 0.6f);
  }
}

TEST_P(FormatTest, OffsetAndMaxSecondsCutTheRightWindow) {
  constexpr int kRate = 16000;
  DecodeOptions full_options;
  full_options.sample_rate = kRate;
  core::Result<DecodedAudio> full = DecodeFile(path_, full_options);
  ASSERT_TRUE(full.ok()) << full.status().ToString();

  DecodeOptions options = full_options;
  options.offset_seconds = 1.0;
  options.max_seconds = 1.0;
  core::Result<DecodedAudio> window = DecodeFile(path_, options);
  ASSERT_TRUE(window.ok()) << window.status().ToString();
  ASSERT_NEAR(static_cast<double>(window->samples.size()), kRate, 2);
  EXPECT_NEAR(testing::Rms(window->samples, 0, window->samples.size()), kRms,
              kRms * 0.03);
  // Same samples as the same stretch of a decode from the start: same level
  // and same phase (a shift of 1 sample at 16 kHz would give ~0.09).
  ASSERT_GE(full->samples.size(), 2u * kRate);
  double diff = 0;
  for (size_t i = 0; i < window->samples.size(); ++i) {
    const double d = window->samples[i] - full->samples[kRate + i];
    diff += d * d;
  }
  diff = std::sqrt(diff / window->samples.size());
  EXPECT_LT(diff, 0.01) << "RMS difference from the full decode";
  std::printf("offset window RMS difference: %.2e\n", diff);
}

TEST_P(FormatTest, StreamingReadsMatchDecodeFile) {
  DecodeOptions options;
  options.sample_rate = 22050;
  core::Result<DecodedAudio> whole = DecodeFile(path_, options);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();

  auto decoder = AudioDecoder::Open(path_, options);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  EXPECT_EQ((*decoder)->info().codec, GetParam().codec);
  std::vector<float> streamed;
  for (;;) {
    core::Result<size_t> n = (*decoder)->Read(333, &streamed);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    ASSERT_LE(*n, 333u);
  }
  // A further read after the end stays at the end.
  core::Result<size_t> again = (*decoder)->Read(333, &streamed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(streamed, whole->samples);
}

INSTANTIATE_TEST_SUITE_P(AllFormats, FormatTest, ::testing::ValuesIn(kFormats),
                         [](const auto& info) {
                           return std::string(info.param.name);
                         });

// ---- options and windows on one lossless file -------------------------------

class WindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveFfmpeg()) {
      GTEST_SKIP() << "the ffmpeg CLI is not installed; cannot make test files";
    }
    path_ = dir_.File("sine.flac");
    const std::string error =
        RunFfmpeg(testing::SineInput(kSeconds) + " " + path_, dir_);
    ASSERT_TRUE(error.empty()) << error;
  }
  TempDir dir_;
  std::string path_;
};

TEST_F(WindowTest, ExactSamplesAtAnOffsetWithoutSeeking) {
  DecodeOptions options;
  options.sample_rate = 16000;
  core::Result<DecodedAudio> full = DecodeFile(path_, options);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  options.offset_seconds = 0.25;  // inside the seek pre-roll: no seek
  core::Result<DecodedAudio> tail = DecodeFile(path_, options);
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  ASSERT_EQ(tail->samples.size(), full->samples.size() - 4000);
  for (size_t i = 0; i < tail->samples.size(); i += 97) {
    ASSERT_NEAR(tail->samples[i], full->samples[4000 + i], 1e-4) << i;
  }
}

TEST_F(WindowTest, ADeadlineStopsTheDecodeWithTimedOut) {
  DecodeOptions options;
  options.timeout_seconds = 1e-9;  // passed before the first read
  core::Result<DecodedAudio> audio = DecodeFile(path_, options);
  ASSERT_FALSE(audio.ok());
  EXPECT_TRUE(audio.status().IsIOError()) << audio.status().ToString();
  EXPECT_NE(audio.status().message().find(path_ + ": timed out after 0 s"),
            std::string::npos)
      << audio.status().message();
  options.timeout_seconds = 600;  // a deadline far away changes nothing
  core::Result<DecodedAudio> full = DecodeFile(path_, options);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  options.timeout_seconds = 0;
  core::Result<DecodedAudio> none = DecodeFile(path_, options);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(full->samples, none->samples);
}

TEST_F(WindowTest, MaxSecondsAloneStopsEarly) {
  DecodeOptions options;
  options.sample_rate = 22050;
  options.max_seconds = 0.5;
  core::Result<DecodedAudio> audio = DecodeFile(path_, options);
  ASSERT_TRUE(audio.ok()) << audio.status().ToString();
  EXPECT_EQ(audio->samples.size(), 11025u);
}

TEST_F(WindowTest, StreamingWindowMatchesDecodeFileWindow) {
  DecodeOptions options;
  options.offset_seconds = 1.3;
  options.max_seconds = 1.1;
  core::Result<DecodedAudio> whole = DecodeFile(path_, options);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->samples.size(), 17600u);
  auto decoder = AudioDecoder::Open(path_, options);
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  std::vector<float> streamed;
  for (;;) {
    core::Result<size_t> n = (*decoder)->Read(1000, &streamed);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
  }
  EXPECT_EQ(streamed, whole->samples);
}

TEST_F(WindowTest, OffsetPastTheEndGivesNoSamples) {
  DecodeOptions options;
  options.offset_seconds = 10;
  core::Result<DecodedAudio> audio = DecodeFile(path_, options);
  ASSERT_TRUE(audio.ok()) << audio.status().ToString();
  EXPECT_TRUE(audio->samples.empty());
}

TEST_F(WindowTest, ReadRejectsZeroMaxSamples) {
  auto decoder = AudioDecoder::Open(path_, DecodeOptions{});
  ASSERT_TRUE(decoder.ok()) << decoder.status().ToString();
  std::vector<float> out;
  core::Result<size_t> n = (*decoder)->Read(0, &out);
  ASSERT_FALSE(n.ok());
  EXPECT_TRUE(n.status().IsInvalidArgument());
}

// Far into a longer file the seek must still land on the exact sample: a
// chirp (never periodic) makes any shift visible.
TEST(FarOffsetTest, SeekDeepIntoLongFilesIsSampleExact) {
  if (!testing::HaveFfmpeg()) {
    GTEST_SKIP() << "the ffmpeg CLI is not installed; cannot make test files";
  }
  TempDir dir;
  const std::string chirp = "0.3*sin(2*PI*(200*t+5*t*t))+0.1*sin(2*PI*1000*t)";
  const std::string wav = dir.File("far.wav");
  std::string error = RunFfmpeg("-f lavfi -i \"aevalsrc=" + chirp + "|" +
                                    chirp + ":s=44100:d=30\" " + wav,
                                dir);
  ASSERT_TRUE(error.empty()) << error;
  for (const char* encode :
       {"-c:a libmp3lame -q:a 4 far.mp3", "-c:a libvorbis far.ogg",
        "-c:a aac -b:a 160k far.m4a", "-c:a libopus far.opus"}) {
    SCOPED_TRACE(encode);
    std::string args(encode);
    const std::string file = dir.File(args.substr(args.rfind(' ') + 1));
    args = "-i " + wav + " " + args.substr(0, args.rfind(' ') + 1) + file;
    error = RunFfmpeg(args, dir);
    ASSERT_TRUE(error.empty()) << error;
    DecodeOptions options;
    core::Result<DecodedAudio> full = DecodeFile(file, options);
    ASSERT_TRUE(full.ok()) << full.status().ToString();
    options.offset_seconds = 21.7;
    options.max_seconds = 2.0;
    core::Result<DecodedAudio> window = DecodeFile(file, options);
    ASSERT_TRUE(window.ok()) << window.status().ToString();
    ASSERT_EQ(window->samples.size(), 32000u);
    const size_t start = 347200;  // 21.7 s at 16 kHz
    ASSERT_GE(full->samples.size(), start + 32000);
    double diff = 0;
    for (size_t i = 0; i < window->samples.size(); ++i) {
      const double d = window->samples[i] - full->samples[start + i];
      diff += d * d;
    }
    EXPECT_LT(std::sqrt(diff / 32000), 0.01);
    std::printf("%s: RMS difference %.2e\n", encode, std::sqrt(diff / 32000));
  }
}

// ---- channel layouts: downmix by averaging, then resample ---------------------

class ChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveFfmpeg()) {
      GTEST_SKIP() << "the ffmpeg CLI is not installed; cannot make test files";
    }
  }
  // Makes FILE from an aevalsrc expression list ("a|b|..."), one per channel.
  std::string Make(const std::string& file, const std::string& channels,
                   int rate, double seconds, const std::string& encode) {
    const std::string path = dir_.File(file);
    const std::string error =
        RunFfmpeg("-f lavfi -i \"aevalsrc=" + channels +
                      ":s=" + std::to_string(rate) +
                      ":d=" + std::to_string(seconds) + "\" " + encode + " " +
                      path,
                  dir_);
    EXPECT_TRUE(error.empty()) << error;
    return path;
  }
  // RMS of the decoded audio between two times, in seconds.
  static double RmsBetween(const DecodedAudio& audio, double from, double to) {
    return testing::Rms(audio.samples,
                        static_cast<size_t>(from * audio.sample_rate),
                        static_cast<size_t>(to * audio.sample_rate));
  }
  TempDir dir_;
};

TEST_F(ChannelTest, MonoKeepsItsLevelAtEveryRate) {
  const std::string path =
      Make("mono.flac", "0.5*sin(2*PI*440*t)", 44100, 2.0, "-c:a flac");
  for (int rate : {16000, 44100}) {
    DecodeOptions options;
    options.sample_rate = rate;
    core::Result<DecodedAudio> audio = DecodeFile(path, options);
    ASSERT_TRUE(audio.ok()) << audio.status().ToString();
    EXPECT_EQ(audio->samples.size(), static_cast<size_t>(2 * rate));
    EXPECT_NEAR(RmsBetween(*audio, 0.2, 1.8), kRms, kRms * 0.01);
  }
}

TEST_F(ChannelTest, SixChannelsAreAveraged) {
  // A sine in the first channel of six and silence in the others: a sixth
  // of its level, with or without resampling.
  const std::string path = Make("six.wav", "0.6*sin(2*PI*440*t)|0|0|0|0|0",
                                48000, 2.0, "-c:a pcm_s16le");
  for (int rate : {16000, 48000}) {
    DecodeOptions options;
    options.sample_rate = rate;
    core::Result<DecodedAudio> audio = DecodeFile(path, options);
    ASSERT_TRUE(audio.ok()) << audio.status().ToString();
    EXPECT_EQ(audio->info.channels, 6);
    EXPECT_EQ(audio->samples.size(), static_cast<size_t>(2 * rate));
    const double expected = 0.1 / 1.4142135623730951;
    EXPECT_NEAR(RmsBetween(*audio, 0.2, 1.8), expected, expected * 0.01);
  }
}

TEST_F(ChannelTest, ChannelsInAntiphaseCancel) {
  // The downmix is the mean of the channels, not a sum at -3 dB each.
  const std::string path =
      Make("anti.flac", "0.5*sin(2*PI*440*t)|-0.5*sin(2*PI*440*t)", 44100,
           2.0, "-c:a flac");
  DecodeOptions options;
  options.sample_rate = 16000;
  core::Result<DecodedAudio> audio = DecodeFile(path, options);
  ASSERT_TRUE(audio.ok()) << audio.status().ToString();
  EXPECT_LT(RmsBetween(*audio, 0.2, 1.8), 1e-3);
}

TEST_F(ChannelTest, ChannelsAndRateMayChangeMidStream) {
  // Two MP3s back to back: 2 s of a stereo sine at 44.1 kHz, then 2 s of a
  // mono one at half the level and 22.05 kHz. The decoder's frames change
  // format mid-stream; both parts come out whole, each at the level it
  // has when decoded alone (LAME itself lowers them a few per cent).
  const std::string a =
      Make("a.mp3", "0.5*sin(2*PI*440*t)|0.5*sin(2*PI*440*t)", 44100, 2.0,
           "-c:a libmp3lame -b:a 192k");
  const std::string b = Make("b.mp3", "0.25*sin(2*PI*440*t)", 22050, 2.0,
                             "-c:a libmp3lame -b:a 96k");
  const std::string both = dir_.File("both.mp3");
  testing::WriteBytes(both, testing::ReadBytes(a) + testing::ReadBytes(b));
  DecodeOptions options;
  options.sample_rate = 16000;
  core::Result<DecodedAudio> audio_a = DecodeFile(a, options);
  core::Result<DecodedAudio> audio_b = DecodeFile(b, options);
  core::Result<DecodedAudio> audio = DecodeFile(both, options);
  ASSERT_TRUE(audio_a.ok()) << audio_a.status().ToString();
  ASSERT_TRUE(audio_b.ok()) << audio_b.status().ToString();
  ASSERT_TRUE(audio.ok()) << audio.status().ToString();
  EXPECT_NEAR(audio->seconds(), audio_a->seconds() + audio_b->seconds(), 0.1);
  const double level_a = RmsBetween(*audio_a, 0.3, 1.7);
  const double level_b = RmsBetween(*audio_b, 0.3, 1.7);
  EXPECT_NEAR(level_a, kRms, kRms * 0.05);
  EXPECT_NEAR(level_b, kRms / 2, kRms / 2 * 0.06);
  EXPECT_NEAR(RmsBetween(*audio, 0.3, 1.7), level_a, level_a * 0.01);
  const double b_start = audio_a->seconds();
  EXPECT_NEAR(RmsBetween(*audio, b_start + 0.3, b_start + 1.7), level_b,
              level_b * 0.01);
}

TEST(DecodeOptionsTest, ValidateRejectsBadValues) {
  EXPECT_TRUE(DecodeOptions{}.Validate().ok());
  DecodeOptions options;
  options.sample_rate = 0;
  EXPECT_TRUE(options.Validate().IsInvalidArgument());
  options = {};
  options.offset_seconds = -1;
  EXPECT_TRUE(options.Validate().IsInvalidArgument());
  options = {};
  options.max_seconds = std::nan("");
  EXPECT_TRUE(options.Validate().IsInvalidArgument());
  options = {};
  options.timeout_seconds = -1;
  EXPECT_TRUE(options.Validate().IsInvalidArgument());
  // Open reports bad options with the file name.
  options = {};
  options.sample_rate = 10;
  auto decoder = AudioDecoder::Open("x.mp3", options);
  ASSERT_FALSE(decoder.ok());
  EXPECT_TRUE(decoder.status().IsInvalidArgument());
  EXPECT_NE(decoder.status().message().find("x.mp3"), std::string::npos);
}

}  // namespace
}  // namespace mer::audio
