// DescriptorExtractor and its parts against signals whose descriptors are
// known: triads, a click train, white noise, sines, silence.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include "common/dsp/descriptor_extractor.h"
#include "common/dsp/key_profile.h"
#include "common/dsp/rhythm_descriptors.h"
#include "common/dsp/spectrogram.h"
#include "common/dsp/track_statistics.h"
#include "tests/unit/dsp/descriptor_test_util.h"

namespace mer::dsp {
namespace {

using testing::ClickTrain;
using testing::ExpectAllFinite;
using testing::HarmonicTones;
using testing::Mean;
using testing::MeanChroma;
using testing::Median;
using testing::Noise;
using testing::NoteHz;
using testing::Preset;
using testing::Tones;

TEST(DescriptorExtractorTest, FrameCountsEqualTheLogMels) {
  for (const std::string preset : {"default", "librosa"}) {
    for (bool center : {true, false}) {
      FrontEndParams fe = Preset(preset);
      fe.center = center;
      DescriptorExtractor e(fe);
      LogMelExtractor mel(fe);
      for (size_t n : {size_t{0}, size_t{1}, size_t{255}, size_t{256},
                       size_t{2047}, size_t{2048}, size_t{12345},
                       static_cast<size_t>(fe.sample_rate * 3 + 17)}) {
        const std::vector<float> x = Noise(n, 0.3f, static_cast<uint32_t>(n));
        const DescriptorMatrix m = e.Compute(x);
        EXPECT_EQ(m.n_frames, mel.Compute(x).n_frames)
            << preset << " center " << center << " n " << n;
        EXPECT_EQ(m.n_frames, NumFrames(n, fe));
        EXPECT_EQ(m.n_dims, kNumDescriptors);
        EXPECT_EQ(m.data.size(), static_cast<size_t>(m.n_dims) * m.n_frames);
        ExpectAllFinite(m, preset + " n " + std::to_string(n));
      }
    }
  }
}

TEST(DescriptorExtractorTest, SilenceAndShortClipsAreFinite) {
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  const DescriptorMatrix silence = e.Compute(std::vector<float>(48000, 0.0f));
  ExpectAllFinite(silence, "silence");
  for (int t = 0; t < silence.n_frames; ++t) {
    EXPECT_FLOAT_EQ(silence.at(kRmsDbRow, t), -100.0f);
    EXPECT_EQ(silence.at(kChromaRow, t), 0.0f);
    EXPECT_EQ(silence.at(kKeyClarityRow, t), 0.0f);
    EXPECT_EQ(silence.at(kOnsetRateRow, t), 0.0f);
    EXPECT_EQ(silence.at(kZcrRow, t), 0.0f);
  }
  // 0.3 s clips: shorter than the constant-Q frame and the tempo windows.
  ExpectAllFinite(e.Compute(Tones({440.0}, 16000, 0.3)), "0.3 s sine");
  ExpectAllFinite(e.Compute(Noise(4800)), "0.3 s noise");
  ExpectAllFinite(e.Compute(ClickTrain(120, 16000, 0.3)), "0.3 s clicks");
  ExpectAllFinite(e.Compute(std::vector<float>(10, 0.5f)), "10 samples");
  DescriptorExtractor lib(Preset("librosa"));
  ExpectAllFinite(lib.Compute(Noise(6615)), "0.3 s noise, librosa");
}

TEST(DescriptorExtractorTest, CMajorTriadGivesItsChromaAndAMajorKey) {
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  // C4 E4 G4.
  const DescriptorMatrix m = e.Compute(
      Tones({NoteHz(60), NoteHz(64), NoteHz(67)}, fe.sample_rate, 6.0));
  const Chroma c = MeanChroma(m);
  for (int pc : {0, 4, 7}) {
    for (int other = 0; other < 12; ++other) {
      if (other == 0 || other == 4 || other == 7) continue;
      EXPECT_GT(c[pc], 3.0 * c[other]) << "class " << pc << " vs " << other;
    }
  }
  const KeyEstimate key = EstimateKey(c);
  EXPECT_EQ(key.Name(), "C major");
  const size_t mid = m.n_frames / 2;
  EXPECT_GT(m.at(kModeRow, mid), 0.0f);
  EXPECT_GT(Mean(m.Row(kModeRow)), 0.0);
  EXPECT_GT(m.at(kKeyClarityRow, mid), 0.7f);
  const std::vector<float> stats = TrackStatistics(m);
  EXPECT_GT(stats[stats.size() - 1], 0.0f);  // track_mode
}

TEST(DescriptorExtractorTest, AMinorTriadGivesANegativeMode) {
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  // A3 C4 E4.
  const DescriptorMatrix m = e.Compute(
      Tones({NoteHz(57), NoteHz(60), NoteHz(64)}, fe.sample_rate, 6.0));
  const KeyEstimate key = EstimateKey(MeanChroma(m));
  EXPECT_EQ(key.Name(), "A minor");
  EXPECT_LT(m.at(kModeRow, m.n_frames / 2), -0.1f);
  EXPECT_LT(Mean(m.Row(kModeRow)), -0.1);
}

TEST(DescriptorExtractorTest, ChordChangesRaiseTheHarmonicChange) {
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  // C major for 4 s, then F# major for 4 s (far apart on the circle of
  // fifths): the harmonic change peaks at the switch.
  std::vector<float> x =
      Tones({NoteHz(60), NoteHz(64), NoteHz(67)}, fe.sample_rate, 4.0);
  const std::vector<float> y =
      Tones({NoteHz(66), NoteHz(70), NoteHz(73)}, fe.sample_rate, 4.0);
  x.insert(x.end(), y.begin(), y.end());
  const DescriptorMatrix m = e.Compute(x);
  const int change = 4 * fe.sample_rate / fe.hop_length;
  const int steady = 2 * fe.sample_rate / fe.hop_length;
  EXPECT_GT(m.at(kHarmonicChangeRow, change),
            10.0f * m.at(kHarmonicChangeRow, steady) + 0.1f);
  // The tonal centroid moves: C and F# major are opposite on the fifths.
  EXPECT_GT(
      std::hypot(m.at(kTonalRow, steady) - m.at(kTonalRow, 3 * steady),
                 m.at(kTonalRow + 1, steady) - m.at(kTonalRow + 1, 3 * steady)),
      0.3f);
}

TEST(DescriptorExtractorTest, ClickTrainAt120BpmGivesItsTempoAndOnsetRate) {
  for (const std::string preset : {"default", "librosa"}) {
    const FrontEndParams fe = Preset(preset);
    DescriptorExtractor e(fe);
    const DescriptorMatrix m = e.Compute(ClickTrain(120, fe.sample_rate, 20.0));
    const size_t from = m.n_frames / 4, to = 3 * m.n_frames / 4;
    EXPECT_NEAR(Median(m.Row(kTempoRow), from, to), 120.0, 2.0) << preset;
    for (size_t t = from; t < to; t += 7) {
      EXPECT_NEAR(m.at(kOnsetRateRow, t), 2.0, 0.2) << preset << " frame " << t;
    }
    EXPECT_GT(Mean(m.Row(kPulseClarityRow), from, to), 0.6) << preset;
    // The onset strength (dB) peaks at every click (0.25 s + k / 2 s) far
    // above its value half-way between (the noise floor's 1-3 dB).
    const double hop_s = static_cast<double>(fe.hop_length) / fe.sample_rate;
    for (double click = 2.25; click < 18.0; click += 0.5) {
      const int at = static_cast<int>(std::lround(click / hop_s));
      const int between = static_cast<int>(std::lround((click + 0.25) / hop_s));
      // The first frame whose window reaches the click may be up to
      // n_fft / 2 samples (2 hops here) before it.
      float peak = 0.0f;
      for (int t = at - 2; t <= at + 2; ++t) {
        peak = std::max(peak, m.at(kOnsetStrengthRow, t));
      }
      EXPECT_GT(peak, 5.0f * m.at(kOnsetStrengthRow, between) + 5.0f)
          << preset << " click at " << click << " s";
    }
    // Noise has no pulse.
    const DescriptorMatrix n = e.Compute(Noise(20 * fe.sample_rate));
    EXPECT_LT(Mean(n.Row(kPulseClarityRow), from, to), 0.3) << preset;
  }
}

TEST(RhythmDescriptorsTest, OnsetsOfAClickTrainAreItsClicks) {
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  const DescriptorMatrix m = e.Compute(ClickTrain(100, fe.sample_rate, 12.0));
  const RhythmDescriptors r = AnalyzeRhythm(
      m.Row(kOnsetStrengthRow), 12 * fe.sample_rate, fe, DescriptorParams{});
  // Clicks at 0.25 s + k * 0.6 s: 20 of them; each found within 30 ms.
  ASSERT_EQ(r.onset_seconds.size(), 20u);
  for (size_t k = 0; k < r.onset_seconds.size(); ++k) {
    EXPECT_NEAR(r.onset_seconds[k], 0.25 + 0.6 * k, 0.03) << "click " << k;
  }
  EXPECT_NEAR(Median(r.tempo_bpm, 0, r.tempo_bpm.size()), 100.0, 2.0);
  ASSERT_EQ(r.onset_rate.size(), static_cast<size_t>(m.n_frames));
  EXPECT_NEAR(r.onset_rate[m.n_frames / 2], 100.0 / 60.0, 0.15);
}

TEST(DescriptorExtractorTest, WhiteNoiseIsFlatAndASineIsNot) {
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  const DescriptorMatrix noise = e.Compute(Noise(3 * fe.sample_rate));
  // The flatness is that of the mel power: white noise fills every band
  // nearly equally (each band's power, the sum of a few exponentially
  // distributed bins, still varies from frame to frame).
  const double flat = Mean(noise.Row(kFlatnessRow), 2, noise.n_frames - 2);
  EXPECT_GT(flat, 0.7);
  EXPECT_LE(flat, 1.0);
  const DescriptorMatrix sine = e.Compute(Tones({1000.0}, fe.sample_rate, 3.0));
  EXPECT_LT(Mean(sine.Row(kFlatnessRow), 2, sine.n_frames - 2), 0.01);
  // Noise's centroid is mid-band (0-7500 Hz), its spectrum changes between
  // frames while a sine's does not.
  EXPECT_NEAR(Mean(noise.Row(kCentroidRow)), 3750.0, 150.0);
  // Uniform over 0-7500 Hz: spread 7500 / sqrt(12).
  EXPECT_NEAR(Mean(noise.Row(kSpreadRow)), 7500.0 / std::sqrt(12.0), 100.0);
  EXPECT_GT(Mean(noise.Row(kFluxRow), 2, noise.n_frames - 2), 0.02);
  EXPECT_LT(Mean(sine.Row(kFluxRow), 2, sine.n_frames - 2), 1e-6);
}

TEST(DescriptorExtractorTest, ContrastIsHighOnlyInTheBandOfATone) {
  // A 1 kHz tone (band 3, 800-1600 Hz) over noise: that band's peaks stand
  // far above its valleys; the noise-only bands keep the contrast of the
  // noise alone.
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  auto tone_over_noise = [&](float noise_amp) {
    std::vector<float> x = Noise(3 * fe.sample_rate, noise_amp, 5);
    const std::vector<float> tone = Tones({1000.0}, fe.sample_rate, 3.0, 0.5);
    for (size_t i = 0; i < x.size(); ++i) x[i] += tone[i];
    return e.Compute(x);
  };
  const DescriptorMatrix m = tone_over_noise(0.1f);
  const DescriptorMatrix n = e.Compute(Noise(3 * fe.sample_rate, 0.1f, 5));
  const size_t a = 2, b = m.n_frames - 2;
  EXPECT_GT(Mean(m.Row(kContrastRow + 3), a, b),
            Mean(n.Row(kContrastRow + 3), a, b) + 15.0);
  for (int band : {0, 1, 5, 6}) {
    EXPECT_NEAR(Mean(m.Row(kContrastRow + band), a, b),
                Mean(n.Row(kContrastRow + band), a, b), 1.5)
        << "band " << band;
  }
  // Noise: librosa's valleys and peaks of Rayleigh magnitudes, some dB
  // apart.
  for (int band = 0; band < 7; ++band) {
    EXPECT_GT(Mean(n.Row(kContrastRow + band), a, b), 3.0) << band;
    EXPECT_LT(Mean(n.Row(kContrastRow + band), a, b), 25.0) << band;
  }
  // Noise 60 dB under the tone lies under the floor (the loudest bin less
  // floor_db = 60): its bands have no contrast left, while the same noise
  // alone, its own loudest bin the reference, keeps it.
  const DescriptorMatrix quiet = tone_over_noise(5e-4f);
  const DescriptorMatrix alone = e.Compute(Noise(3 * fe.sample_rate, 5e-4f, 5));
  for (int band : {0, 5, 6}) {
    EXPECT_LT(Mean(quiet.Row(kContrastRow + band), a, b), 0.5) << band;
    EXPECT_GT(Mean(alone.Row(kContrastRow + band), a, b), 3.0) << band;
  }
}

TEST(DescriptorExtractorTest, SineCentroidRolloffZcrAndRms) {
  for (const std::string preset : {"default", "librosa"}) {
    const FrontEndParams fe = Preset(preset);
    DescriptorExtractor e(fe);
    const double bin = static_cast<double>(fe.sample_rate) / fe.n_fft;
    for (double hz : {440.0, 1000.0, 3000.0}) {
      const double amp = 0.5;
      const DescriptorMatrix m =
          e.Compute(Tones({hz}, fe.sample_rate, 2.0, amp));
      const size_t a = 2, b = m.n_frames - 2;  // away from the padded ends
      const std::string what = preset + " " + std::to_string(hz) + " Hz";
      EXPECT_NEAR(Mean(m.Row(kCentroidRow), a, b), hz, 0.5 * bin) << what;
      EXPECT_LT(Mean(m.Row(kSpreadRow), a, b), 2.0 * bin) << what;
      const double rolloff = Mean(m.Row(kRolloffRow), a, b);
      EXPECT_GE(rolloff, hz - 0.5 * bin) << what;
      EXPECT_LE(rolloff, hz + 2.0 * bin) << what;
      EXPECT_NEAR(Mean(m.Row(kZcrRow), a, b), 2.0 * hz / fe.sample_rate,
                  0.01 * 2.0 * hz / fe.sample_rate + 2.0 / fe.n_fft)
          << what;
      EXPECT_NEAR(Mean(m.Row(kRmsDbRow), a, b),
                  20.0 * std::log10(amp / std::sqrt(2.0)), 0.05)
          << what;
    }
    // 20 dB quieter: rms_db 20 dB lower, the rest unchanged.
    const DescriptorMatrix loud =
        e.Compute(Tones({500.0}, fe.sample_rate, 2.0));
    const DescriptorMatrix soft =
        e.Compute(Tones({500.0}, fe.sample_rate, 2.0, 0.02));
    const size_t a = 2, b = loud.n_frames - 2;
    EXPECT_NEAR(
        Mean(loud.Row(kRmsDbRow), a, b) - Mean(soft.Row(kRmsDbRow), a, b), 20.0,
        0.01)
        << preset;
    EXPECT_NEAR(Mean(loud.Row(kCentroidRow), a, b),
                Mean(soft.Row(kCentroidRow), a, b), 1e-3)
        << preset;
  }
}

TEST(DescriptorExtractorTest, ContentAboveFmaxLeavesTheDescriptorsAlone) {
  // A full-band source against its band-limited copy: a tone at 10 kHz
  // (above fmax = 7500 Hz) added to a chord.
  const FrontEndParams fe = Preset("librosa");  // 22.05 kHz
  DescriptorExtractor e(fe);
  std::vector<float> chord =
      HarmonicTones({NoteHz(57), NoteHz(64), NoteHz(69)}, fe.sample_rate, 4.0);
  // A noise floor 60 dB down, as recordings have: without one, the tone's
  // window sidelobes (-120 dB) would fill the synthetic chord's empty bins.
  const std::vector<float> floor = Noise(chord.size(), 1e-3f, 3);
  for (size_t i = 0; i < chord.size(); ++i) chord[i] += floor[i];
  std::vector<float> full = chord;
  // The tone fades in and out (0.2 s) so that its ends do not splatter
  // below fmax.
  const std::vector<float> high = Tones({10000.0}, fe.sample_rate, 4.0, 0.2);
  const size_t ramp = fe.sample_rate / 5;
  for (size_t i = 0; i < full.size(); ++i) {
    const size_t edge = std::min(i, full.size() - 1 - i);
    const double g = edge >= ramp
                         ? 1.0
                         : 0.5 - 0.5 * std::cos(std::numbers::pi * edge / ramp);
    full[i] += static_cast<float>(g * high[i]);
  }
  const std::vector<float> sa = TrackStatistics(e.Compute(chord));
  const std::vector<float> sb = TrackStatistics(e.Compute(full));
  const std::vector<std::string>& names = TrackStatisticNames();
  for (size_t i = 0; i < sa.size(); ++i) {
    const double tol = 1e-3 * std::max(1.0, std::fabs(double{sa[i]}));
    if (names[i].starts_with("zcr")) {
      // The low-pass leaves about -46 dB of the tone.
      EXPECT_NEAR(sa[i], sb[i], 0.02 * std::fabs(sa[i]) + 1e-4) << names[i];
    } else {
      EXPECT_NEAR(sa[i], sb[i], tol) << names[i];
    }
  }
}

TEST(DescriptorExtractorTest, MfccsAreTheDctOfTheBandLimitedLogMel) {
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  EXPECT_EQ(e.mel_front_end().fmax, 7500.0f);
  EXPECT_EQ(e.mel_front_end().top_db, 60.0f);  // floor_db
  const std::vector<float> x =
      HarmonicTones({NoteHz(48), NoteHz(55)}, fe.sample_rate, 2.0);
  std::vector<float> noisy = Noise(x.size(), 0.05f);
  for (size_t i = 0; i < x.size(); ++i) noisy[i] += x[i];
  // Half a second of silence, which the 60 dB floor raises.
  noisy.resize(noisy.size() + fe.sample_rate / 2, 0.0f);
  const DescriptorMatrix m = e.Compute(noisy);
  LogMelExtractor mel(e.mel_front_end());
  const Spectrogram s = mel.Compute(noisy);
  ASSERT_EQ(s.n_frames, m.n_frames);
  const int n = s.n_mels;
  double worst = 0.0;
  for (int t = 0; t < s.n_frames; ++t) {
    for (int k = 0; k < kNumMfcc; ++k) {
      double c = 0.0;
      for (int b = 0; b < n; ++b) {
        c += s.at(b, t) * std::cos(std::numbers::pi * k * (b + 0.5) / n);
      }
      c *= k == 0 ? std::sqrt(1.0 / n) : std::sqrt(2.0 / n);
      worst = std::max(worst, std::fabs(c - m.at(kMfccRow + k, t)));
      ASSERT_NEAR(m.at(kMfccRow + k, t), c, 1e-3 * std::max(1.0, std::fabs(c)))
          << "frame " << t << " mfcc " << k;
    }
  }
  std::printf("mfcc vs DCT of LogMelExtractor: worst %.3g\n", worst);
}

TEST(DescriptorExtractorTest, RoughIntervalsAreMoreDissonant) {
  const FrontEndParams fe = Preset("default");
  DescriptorExtractor e(fe);
  auto dissonance = [&](const std::vector<double>& f0) {
    return Mean(
        e.Compute(HarmonicTones(f0, fe.sample_rate, 3.0)).Row(kDissonanceRow));
  };
  const double unison = dissonance({NoteHz(60)});
  const double fifth = dissonance({NoteHz(60), NoteHz(67)});
  const double second = dissonance({NoteHz(60), NoteHz(61)});
  EXPECT_LT(unison, 0.05);
  EXPECT_GT(second, 2.0 * fifth);
  EXPECT_GT(fifth, unison);
}

TEST(DescriptorExtractorTest, ThreadsGiveTheSameValues) {
  const FrontEndParams fe = Preset("default");
  const std::vector<float> x = ClickTrain(100, fe.sample_rate, 8.0);
  DescriptorMatrix results[2];
  std::thread threads[2];
  for (int i = 0; i < 2; ++i) {
    threads[i] = std::thread([&, i] {
      DescriptorExtractor e(fe);
      results[i] = e.Compute(x);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(results[0].data, results[1].data);
  DescriptorExtractor again(fe);
  again.Compute(Noise(1000));  // state from an earlier signal must not leak
  EXPECT_EQ(again.Compute(x).data, results[0].data);
}

}  // namespace
}  // namespace mer::dsp
