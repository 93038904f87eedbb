#include "common/dsp/spectrogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/dsp/golden.h"

namespace mer::dsp {
namespace {

FrontEndParams DefaultParams() { return *PresetParams("default"); }

std::vector<float> Sine(double hz, int sample_rate, size_t n,
                        float amp = 0.5f) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = amp * static_cast<float>(
                     std::sin(2.0 * std::numbers::pi * hz * i / sample_rate));
  }
  return x;
}

// Deterministic noise (a linear congruential generator), in [-0.5, 0.5).
std::vector<float> Noise(size_t n, uint32_t seed = 1) {
  std::vector<float> x(n);
  for (float& v : x) {
    seed = seed * 1664525u + 1013904223u;
    v = static_cast<float>(seed >> 8) / (1 << 24) - 0.5f;
  }
  return x;
}

// Log-mel of the golden clip for `case_name` vs torchaudio's computed wholly
// in float64 (filterbank and window included). Every bin above -100 dB:
// 99.9 % within 1e-3 dB, all within 0.01 dB. The extractor's FFT and mel
// projection run in double, so this holds even for bins 120 dB under the
// frame's peak, where a float32 FFT (torchaudio's own float32 path) is
// several hundredths of a dB off.
void ExpectLogMelMatchesGolden(const std::string& case_name) {
  const nlohmann::json manifest = testing::Manifest();
  ASSERT_TRUE(manifest.is_object()) << "unreadable manifest.json";
  const nlohmann::json& c = manifest["cases"][case_name];
  core::Result<FrontEndParams> p = FrontEndParams::FromJson(c["params"]);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const std::vector<float> pcm = testing::ReadFloats(c["clip"]);
  const std::vector<float> golden = testing::ReadFloats(c["logmel"]);
  ASSERT_EQ(pcm.size(),
            manifest["clips"][c["clip"].get<std::string>()]["samples"]);
  const int n_mels = c["logmel_shape"][0], n_frames = c["logmel_shape"][1];
  ASSERT_EQ(golden.size(), static_cast<size_t>(n_mels) * n_frames);
  EXPECT_EQ(NumFrames(pcm.size(), *p), n_frames);

  LogMelExtractor extractor(*p);
  const Spectrogram s = extractor.Compute(pcm);
  ASSERT_EQ(s.n_mels, n_mels);
  ASSERT_EQ(s.n_frames, n_frames);
  size_t live = 0, close = 0, far = 0;
  double worst = 0.0;
  for (size_t i = 0; i < golden.size(); ++i) {
    if (golden[i] <= -100.0f) continue;
    const double d = std::fabs(s.data[i] - golden[i]);
    ++live;
    worst = std::max(worst, d);
    if (d <= 1e-3) ++close;
    if (d > 0.01 && ++far <= 5) {
      ADD_FAILURE() << case_name << " mel " << i / n_frames << " frame "
                    << i % n_frames << ": " << s.data[i] << " dB vs "
                    << golden[i];
    }
  }
  ASSERT_GT(live, golden.size() / 2);
  EXPECT_GE(static_cast<double>(close), 0.999 * live)
      << close << " of " << live << " within 1e-3 dB; worst " << worst;
  EXPECT_EQ(far, 0u) << "worst " << worst << " dB";
  std::printf("%s: %zu bins above -100 dB, %zu within 1e-3 dB, worst %.2g dB\n",
              case_name.c_str(), live, close, worst);
}

TEST(LogMelTest, DefaultPresetMatchesTorchaudio) {
  ExpectLogMelMatchesGolden("default");
}
TEST(LogMelTest, LibrosaPresetMatchesTorchaudio) {
  ExpectLogMelMatchesGolden("librosa");
}
TEST(LogMelTest, HtkShortWindowZeroPaddingMatchesTorchaudio) {
  ExpectLogMelMatchesGolden("htk");
}

TEST(LogMelTest, NumFramesFollowsCentering) {
  FrontEndParams p = DefaultParams();
  EXPECT_EQ(NumFrames(0, p), 1);
  EXPECT_EQ(NumFrames(255, p), 1);
  EXPECT_EQ(NumFrames(256, p), 2);
  EXPECT_EQ(NumFrames(48000, p), 188);
  p.center = false;
  EXPECT_EQ(NumFrames(511, p), 0);
  EXPECT_EQ(NumFrames(512, p), 1);
  EXPECT_EQ(NumFrames(767, p), 1);
  EXPECT_EQ(NumFrames(768, p), 2);
  LogMelExtractor e(p);
  const Spectrogram s = e.Compute(Noise(300));
  EXPECT_EQ(s.n_frames, 0);
  EXPECT_EQ(s.n_mels, 96);
  EXPECT_TRUE(s.data.empty());
}

TEST(LogMelTest, SineEnergyPeaksInTheBandContainingItsFrequency) {
  const FrontEndParams p = DefaultParams();
  LogMelExtractor e(p);
  const std::vector<float> fb = MelFilterbank(p);
  const int n_freqs = p.NumFreqs();
  for (double hz : {250.0, 1000.0, 2500.0, 6000.0}) {
    const Spectrogram s = e.ComputePower(Sine(hz, p.sample_rate, 16000));
    int best = 0;
    double best_energy = -1.0;
    for (int m = 0; m < s.n_mels; ++m) {
      double energy = 0.0;
      for (int t = 2; t < s.n_frames - 2; ++t) energy += s.at(m, t);
      if (energy > best_energy) best_energy = energy, best = m;
    }
    const int bin = static_cast<int>(std::lround(hz * p.n_fft / p.sample_rate));
    EXPECT_GT(fb[static_cast<size_t>(best) * n_freqs + bin], 0.0f)
        << hz << " Hz peaks in band " << best;
    // A clean tone: bands far from it hold far less energy.
    EXPECT_LT(s.at(best > 48 ? 5 : 90, s.n_frames / 2),
              1e-4 * s.at(best, s.n_frames / 2));
  }
}

TEST(LogMelTest, DbIsTenLog10OfPowerFlooredAt1e10) {
  const FrontEndParams p = DefaultParams();
  LogMelExtractor e(p);
  std::vector<float> x = Noise(8000);
  std::fill(x.begin() + 4000, x.end(), 0.0f);  // silent half: -100 dB
  const Spectrogram power = e.ComputePower(x);
  const Spectrogram db = e.Compute(x);
  ASSERT_EQ(power.data.size(), db.data.size());
  int floored = 0;
  for (size_t i = 0; i < power.data.size(); ++i) {
    const double want =
        10.0 * std::log10(std::max<double>(power.data[i], 1e-10));
    EXPECT_NEAR(db.data[i], want, 1e-4) << i;
    floored += db.data[i] == -100.0f;
  }
  EXPECT_GT(floored, 0);
}

TEST(LogMelTest, PowerToDbIsAccurateOverTheFloatRange) {
  std::vector<float> x;
  for (double e = -30.0; e <= 30.0; e += 0.001) {
    x.push_back(static_cast<float>(std::pow(10.0, e)));
  }
  x.push_back(0.0f);
  x.push_back(-1.0f);
  x.push_back(std::nanf(""));
  std::vector<float> y = x;
  PowerToDb(y.data(), y.size(), 1e-30f);
  double worst = 0.0;
  for (size_t i = 0; i + 3 < x.size(); ++i) {
    worst = std::max(
        worst, std::fabs(y[i] - 10.0 * std::log10(static_cast<double>(x[i]))));
  }
  EXPECT_LT(worst, 1e-5 + 1.2e-7 * 300);       // float spacing near 300 is 3e-5
  EXPECT_NEAR(y[y.size() - 3], -300.0, 1e-4);  // 0 -> amin
  EXPECT_NEAR(y[y.size() - 2], -300.0, 1e-4);  // negative -> amin
  EXPECT_NEAR(y[y.size() - 1], -300.0, 1e-4);  // NaN -> amin
}

TEST(LogMelTest, TopDbClampsToMaxMinusTopDb) {
  FrontEndParams p = DefaultParams();
  std::vector<float> x = Sine(1000.0, p.sample_rate, 16000);
  const Spectrogram plain = LogMelExtractor(p).Compute(x);
  p.top_db = 40.0f;
  const Spectrogram clamped = LogMelExtractor(p).Compute(x);
  const float max = *std::max_element(plain.data.begin(), plain.data.end());
  const float min_plain =
      *std::min_element(plain.data.begin(), plain.data.end());
  ASSERT_LT(min_plain, max - 40.0f);  // something to clamp
  int raised = 0;
  for (size_t i = 0; i < plain.data.size(); ++i) {
    EXPECT_EQ(clamped.data[i], std::max(plain.data[i], max - 40.0f));
    raised += plain.data[i] < max - 40.0f;
  }
  EXPECT_GT(raised, 0);
  EXPECT_EQ(*std::min_element(clamped.data.begin(), clamped.data.end()),
            max - 40.0f);
}

// center=true equals center=false on the signal padded by hand.
TEST(LogMelTest, CenterPaddingMatchesExplicitPadding) {
  for (PadMode mode : {PadMode::kReflect, PadMode::kConstant}) {
    FrontEndParams p = DefaultParams();
    p.pad_mode = mode;
    const std::vector<float> x = Noise(3000, 7);
    const int pad = p.n_fft / 2;
    std::vector<float> padded(x.size() + 2 * pad, 0.0f);
    std::copy(x.begin(), x.end(), padded.begin() + pad);
    if (mode == PadMode::kReflect) {
      for (int i = 1; i <= pad; ++i) {
        padded[pad - i] = x[i];
        padded[pad + x.size() - 1 + i] = x[x.size() - 1 - i];
      }
    }
    const Spectrogram centred = LogMelExtractor(p).ComputePower(x);
    p.center = false;
    const Spectrogram manual = LogMelExtractor(p).ComputePower(padded);
    ASSERT_EQ(centred.n_frames, manual.n_frames);
    for (size_t i = 0; i < centred.data.size(); ++i) {
      ASSERT_NEAR(centred.data[i], manual.data[i],
                  1e-6f * std::max(1.0f, manual.data[i]))
          << PadModeName(mode) << " " << i;
    }
  }
}

TEST(LogMelTest, TinyInputsFallBackToZeroPadding) {
  FrontEndParams p = DefaultParams();
  LogMelExtractor reflect(p);
  p.pad_mode = PadMode::kConstant;
  LogMelExtractor zeros(p);
  const Spectrogram empty = reflect.Compute({});
  ASSERT_EQ(empty.n_frames, 1);
  for (float v : empty.data) EXPECT_EQ(v, -100.0f);
  // 256 samples = n_fft / 2: too short to reflect, padded with zeros.
  const std::vector<float> x = Noise(256);
  EXPECT_EQ(reflect.Compute(x).data, zeros.Compute(x).data);
  // 257 samples reflect.
  const std::vector<float> y = Noise(257);
  EXPECT_NE(reflect.Compute(y).data, zeros.Compute(y).data);
}

TEST(LogMelTest, ReusedExtractorMatchesFreshOnes) {
  const FrontEndParams p = DefaultParams();
  LogMelExtractor reused(p);
  for (size_t n : {48000u, 100u, 0u, 257u, 4097u, 48000u}) {
    const std::vector<float> x = Noise(n, static_cast<uint32_t>(n) + 3);
    const Spectrogram a = reused.Compute(x);
    const Spectrogram b = LogMelExtractor(p).Compute(x);
    EXPECT_EQ(a.n_frames, b.n_frames) << n;
    EXPECT_EQ(a.data, b.data) << n;
  }
}

TEST(LogMelTest, ExtractorsBuiltConcurrentlyAgree) {
  // Sizes not planned yet in this process, so both threads plan at once.
  FrontEndParams a = DefaultParams();
  a.n_fft = 1000;
  a.win_length = 800;
  FrontEndParams b = DefaultParams();
  b.n_fft = 1001;
  const std::vector<float> x = Noise(20000, 11);
  Spectrogram ra[2], rb[2];
  for (int round = 0; round < 2; ++round) {
    std::thread ta([&] { ra[round] = LogMelExtractor(a).Compute(x); });
    std::thread tb([&] { rb[round] = LogMelExtractor(b).Compute(x); });
    ta.join();
    tb.join();
  }
  const Spectrogram ref_a = LogMelExtractor(a).Compute(x);
  const Spectrogram ref_b = LogMelExtractor(b).Compute(x);
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(ra[round].data, ref_a.data);
    EXPECT_EQ(rb[round].data, ref_b.data);
  }
  EXPECT_EQ(ref_a.n_frames, NumFrames(x.size(), a));
  EXPECT_GT(*std::max_element(ref_a.data.begin(), ref_a.data.end()), -50.0f);
}

}  // namespace
}  // namespace mer::dsp
