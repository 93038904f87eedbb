// The parts of DescriptorExtractor on inputs whose values are known in
// closed form: names, parameters, key profiles, tonal centroid and harmonic
// change, spectral shape of synthetic power spectra, zero-crossing rate,
// roughness, track statistics.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "common/dsp/descriptor_extractor.h"
#include "common/dsp/descriptor_params.h"
#include "common/dsp/dissonance.h"
#include "common/dsp/key_profile.h"
#include "common/dsp/spectral_shape.h"
#include "common/dsp/spectrogram.h"
#include "common/dsp/stft.h"
#include "common/dsp/tonal_centroid.h"
#include "common/dsp/track_statistics.h"
#include "common/dsp/zero_crossing_rate.h"
#include "tests/unit/dsp/descriptor_test_util.h"
#include "tests/util/test_util.h"

namespace mer::dsp {
namespace {

using testing::Mean;
using testing::Preset;
using testing::Tones;

TEST(DescriptorNamesTest, OneNamePerRowInRowOrder) {
  const std::vector<std::string>& n = DescriptorNames();
  ASSERT_EQ(n.size(), static_cast<size_t>(kNumDescriptors));
  EXPECT_EQ(n[kChromaRow], "chroma_C");
  EXPECT_EQ(n[kChromaRow + 9], "chroma_A");
  EXPECT_EQ(n[kKeyClarityRow], "key_clarity");
  EXPECT_EQ(n[kModeRow], "mode");
  EXPECT_EQ(n[kTonalRow + 5], "tonal_5");
  EXPECT_EQ(n[kHarmonicChangeRow], "harmonic_change");
  EXPECT_EQ(n[kDissonanceRow], "dissonance");
  EXPECT_EQ(n[kOnsetStrengthRow], "onset_strength");
  EXPECT_EQ(n[kOnsetRateRow], "onset_rate");
  EXPECT_EQ(n[kTempoRow], "tempo_bpm");
  EXPECT_EQ(n[kPulseClarityRow], "pulse_clarity");
  EXPECT_EQ(n[kRmsDbRow], "rms_db");
  EXPECT_EQ(n[kCentroidRow], "centroid_hz");
  EXPECT_EQ(n[kSpreadRow], "spread_hz");
  EXPECT_EQ(n[kRolloffRow], "rolloff_hz");
  EXPECT_EQ(n[kFlatnessRow], "flatness");
  EXPECT_EQ(n[kFluxRow], "flux");
  EXPECT_EQ(n[kContrastRow + 6], "contrast_6");
  EXPECT_EQ(n[kMfccRow], "mfcc_0");
  EXPECT_EQ(n[kMfccRow + 12], "mfcc_12");
  EXPECT_EQ(n[kZcrRow], "zcr");
  const std::vector<std::string>& s = TrackStatisticNames();
  ASSERT_EQ(s.size(), 2u * kNumDescriptors + 4);
  EXPECT_EQ(s[0], "chroma_C.mean");
  EXPECT_EQ(s[1], "chroma_C.std");
  EXPECT_EQ(s[2 * kRmsDbRow], "rms_db.mean");
  EXPECT_EQ(s[2 * kRmsDbRow + 1], "rms_db.std");
  EXPECT_EQ(s[2 * kZcrRow + 1], "zcr.std");
  EXPECT_EQ(s[2 * kNumDescriptors], "rms_db.range");
  EXPECT_EQ(s.back(), "mode.track");
}

TEST(DescriptorParamsTest, DigestJsonRoundTripAndValidation) {
  DescriptorParams p;
  EXPECT_OK(p.Validate());
  const std::string d = p.Digest();
  ASSERT_EQ(d.size(), 4u + 16u);
  EXPECT_EQ(d.substr(0, 4), "ds1-");
  EXPECT_NE(p.Canonical().find("fmax=7500"), std::string::npos);

  ASSERT_OK_AND_ASSIGN(DescriptorParams back,
                       DescriptorParams::FromJson(p.ToJson()));
  EXPECT_EQ(back, p);
  DescriptorParams q = p;
  q.fmax = 7000;
  EXPECT_NE(q.Digest(), d);

  nlohmann::json j = p.ToJson();
  j["fmax"] = 7000;  // digest no longer matches
  EXPECT_TRUE(DescriptorParams::FromJson(j).status().IsInvalidArgument());
  j = p.ToJson();
  j["speed"] = 1;
  EXPECT_TRUE(DescriptorParams::FromJson(j).status().IsInvalidArgument());
  j = p.ToJson();
  j.erase("rolloff_fraction");
  EXPECT_TRUE(DescriptorParams::FromJson(j).status().IsInvalidArgument());

  q = p;
  q.fmax = 100;
  core::Status s = q.Validate();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("fmax 100"), std::string::npos) << s.message();
  q = p;
  q.pulse_min_bpm = 300;
  EXPECT_FALSE(q.Validate().ok());
  q = p;
  q.chroma_fmax = 200;  // under an octave above 130.8 Hz
  EXPECT_FALSE(q.Validate().ok());
  q = p;
  q.rolloff_fraction = 1.0;
  EXPECT_FALSE(q.Validate().ok());
  q = p;
  q.dissonance_max_peaks = 1;
  EXPECT_FALSE(q.Validate().ok());

  FrontEndParams fe = Preset("default");
  EXPECT_OK(p.ValidateFor(fe));
  fe.sample_rate = 1000;  // Nyquist 500 Hz: one octave above C3, not A4
  fe.fmax = 0;
  fe.n_fft = 64;
  fe.hop_length = 32;
  fe.n_mels = 8;
  EXPECT_OK(p.ValidateFor(fe));
  q = p;
  q.chroma_fmin = 440.0;
  EXPECT_OK(q.Validate());
  s = q.ValidateFor(fe);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("chroma_fmin 440"), std::string::npos)
      << s.message();
  EXPECT_DOUBLE_EQ(p.EffectiveFmax(Preset("default")), 7500.0);
  fe = Preset("default");
  fe.sample_rate = 8000;
  fe.fmax = 0;
  EXPECT_DOUBLE_EQ(p.EffectiveFmax(fe), 4000.0);
}

TEST(KeyProfileTest, TriadsGiveTheirKeyAndMode) {
  Chroma c{};
  c[0] = c[4] = c[7] = 1.0;  // C E G
  KeyEstimate k = EstimateKey(c);
  EXPECT_EQ(k.Name(), "C major");
  EXPECT_GT(k.mode, 0.0);
  EXPECT_GT(k.clarity, 0.8);
  c = {};
  c[9] = c[0] = c[4] = 1.0;  // A C E
  k = EstimateKey(c);
  EXPECT_EQ(k.Name(), "A minor");
  EXPECT_LT(k.mode, -0.2);
  // The profiles themselves: the major profile rotated to D correlates 1
  // with D major, and clarity is that correlation.
  const double major[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                            2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
  for (int i = 0; i < 12; ++i) c[(i + 2) % 12] = major[i];
  k = EstimateKey(c);
  EXPECT_EQ(k.Name(), "D major");
  EXPECT_NEAR(k.clarity, 1.0, 1e-12);
  EXPECT_NEAR(k.strengths[2], 1.0, 1e-12);
  k = EstimateKey(Chroma{});
  EXPECT_EQ(k.clarity, 0.0);
  EXPECT_EQ(k.mode, 0.0);
}

// Harte et al.'s 6-D coordinates with qm-dsp's radii, written out here
// independently: fifths (r 1, 7 pi / 6 per semitone), major thirds (0.6,
// 2 pi / 3), minor thirds (1.1, 3 pi / 2).
TonalVector ExpectedCentroid(const std::vector<int>& classes) {
  TonalVector v{};
  const double w = 1.0 / classes.size();
  for (int l : classes) {
    const double a = 7.0 * std::numbers::pi / 6.0 * l;
    const double b = 2.0 * std::numbers::pi / 3.0 * l;
    const double c = 3.0 * std::numbers::pi / 2.0 * l;
    v[0] += w * std::sin(a);
    v[1] += w * std::cos(a);
    v[2] += w * 0.6 * std::sin(b);
    v[3] += w * 0.6 * std::cos(b);
    v[4] += w * 1.1 * std::sin(c);
    v[5] += w * 1.1 * std::cos(c);
  }
  return v;
}

TEST(TonalCentroidTest, TriadsLandOnHartesCoordinates) {
  Chroma c_major{}, a_minor{}, silence{};
  c_major[0] = c_major[4] = c_major[7] = 2.0;  // scale: L1-normalised
  a_minor[9] = a_minor[0] = a_minor[4] = 0.5;
  const Chroma in[] = {c_major, a_minor, silence};
  const std::vector<TonalVector> out = TonalCentroids(in);
  ASSERT_EQ(out.size(), 3u);
  const TonalVector want[] = {ExpectedCentroid({0, 4, 7}),
                              ExpectedCentroid({9, 0, 4}), TonalVector{}};
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 6; ++i) {
      EXPECT_NEAR(out[t][i], want[t][i], 1e-12) << "chord " << t << " " << i;
    }
  }
}

TEST(TonalCentroidTest, HarmonicChangePeaksWhereTheChordChanges) {
  // 10 frames of C major, then 10 of F# major.
  Chroma c{}, fs{};
  c[0] = c[4] = c[7] = 1.0;
  fs[6] = fs[10] = fs[1] = 1.0;
  std::vector<Chroma> chroma(20, c);
  std::fill(chroma.begin() + 10, chroma.end(), fs);
  const std::vector<TonalVector> tc = TonalCentroids(chroma);
  double jump = 0.0;
  for (int i = 0; i < 6; ++i) jump += std::pow(tc[10][i] - tc[9][i], 2.0);
  jump = std::sqrt(jump);
  // Unsmoothed, value t is |c(t + 1) - c(t - 1)|: the jump at 9 and 10,
  // 0 elsewhere (the ends copy their neighbours).
  std::vector<double> d = HarmonicChange(tc, 0);
  ASSERT_EQ(d.size(), 20u);
  for (int t = 0; t < 20; ++t) {
    EXPECT_NEAR(d[t], t == 9 || t == 10 ? jump : 0.0, 1e-9) << "frame " << t;
  }
  // Smoothed (unit gain), the peak stays at the change and spreads.
  d = HarmonicChange(tc, 2);
  const int peak = std::max_element(d.begin(), d.end()) - d.begin();
  EXPECT_TRUE(peak == 9 || peak == 10) << peak;
  EXPECT_GT(d[peak], 0.3 * jump);
  EXPECT_LT(d[peak], jump);
  EXPECT_NEAR(d[4], 0.0, 1e-6);
  EXPECT_NEAR(d[15], 0.0, 1e-6);
  EXPECT_EQ(HarmonicChange(std::vector<TonalVector>(1), 2),
            std::vector<double>(1, 0.0));
}

// SpectralShape on synthetic power spectra at the default front end:
// 16 kHz, n_fft 512 (bins 31.25 Hz apart), fmax 7500 Hz (bins 0..240).
class SpectralShapeTest : public ::testing::Test {
 protected:
  SpectralShapeTest()
      : fe_(Preset("default")),
        stft_(fe_),
        shape_(fe_, 7500.0, stft_.WindowEnergy(), 0.85, 0.02),
        power_(fe_.NumFreqs(), 0.0),
        extremes_(shape_.ExtremesPerFrame()) {}

  SpectralShape::Values Compute() {
    return shape_.Compute(power_.data(), extremes_.data());
  }
  std::array<double, SpectralShape::kContrastBands> Contrast(
      double floor_magnitude = 0.0) {
    return shape_.Contrast(extremes_, floor_magnitude);
  }

  static constexpr double kBin = 31.25;
  FrontEndParams fe_;
  Stft stft_;
  SpectralShape shape_;
  std::vector<double> power_;
  std::vector<float> extremes_;
};

TEST_F(SpectralShapeTest, FlatSpectrumHasClosedFormValues) {
  ASSERT_EQ(shape_.last_bin(), 240);
  std::fill(power_.begin(), power_.end(), 1.0);
  power_[250] = 1e6;  // above fmax: ignored
  const SpectralShape::Values v = Compute();
  EXPECT_NEAR(v.centroid_hz, 120 * kBin, 1e-9);
  // Uniform on bins 0..240: variance (241^2 - 1) / 12 bins^2.
  EXPECT_NEAR(v.spread_hz, std::sqrt((241.0 * 241.0 - 1.0) / 12.0) * kBin,
              1e-9);
  // 85 % of 241 equal bins is reached at bin 204 (205 bins >= 204.85).
  EXPECT_NEAR(v.rolloff_hz, 204 * kBin, 1e-9);
  for (double c : Contrast()) EXPECT_NEAR(c, 0.0, 1e-9);
  // Parseval: one-sided sum 1 + 2 * 240 over n_fft * window energy.
  EXPECT_NEAR(v.rms_db,
              10.0 * std::log10(481.0 / (512.0 * stft_.WindowEnergy())), 1e-9);
  EXPECT_EQ(v.flux, 0.0);  // first frame
  EXPECT_EQ(shape_.max_power(), 1.0);
}

TEST_F(SpectralShapeTest, ContrastIsPeakOverValleyPerOctaveBand) {
  std::fill(power_.begin(), power_.end(), 1.0);
  power_[40] = 100.0;  // 1250 Hz: band 3 (800-1600 Hz), |X| 10
  power_[30] = 1e-4;   // 937.5 Hz: band 3, |X| 0.01
  power_[220] = 1e4;   // 6875 Hz: band 6 (6400 Hz-fmax), |X| 100
  Compute();
  EXPECT_EQ(shape_.max_power(), 1e4);
  // librosa: power_to_db of the magnitudes, so 10 log10 (|X| ratio).
  std::array<double, SpectralShape::kContrastBands> c = Contrast();
  EXPECT_NEAR(c[3], 10.0 * std::log10(10.0 / 0.01), 1e-6);
  EXPECT_NEAR(c[6], 10.0 * std::log10(100.0), 1e-6);
  for (int b : {0, 1, 2, 4, 5}) EXPECT_NEAR(c[b], 0.0, 1e-9) << "band " << b;
  // Floored at |X| 1, the valley of band 3 is 1: 10 dB left.
  c = Contrast(1.0);
  EXPECT_NEAR(c[3], 10.0, 1e-6);
  EXPECT_NEAR(c[6], 20.0, 1e-6);
  // A floor above everything leaves no contrast.
  for (double v : Contrast(1e3)) EXPECT_NEAR(v, 0.0, 1e-9);
}

TEST_F(SpectralShapeTest, TwoLinesGiveTheirMidpointAndHalfDistance) {
  power_[32] = 4.0;  // 1000 Hz, |X| 2
  power_[96] = 4.0;  // 3000 Hz, |X| 2
  SpectralShape::Values v = Compute();
  EXPECT_NEAR(v.centroid_hz, 2000.0, 1e-9);
  EXPECT_NEAR(v.spread_hz, 1000.0, 1e-9);
  EXPECT_NEAR(v.rolloff_hz, 3000.0, 1e-9);
  // Same shape, 4x the power: no flux. One line gone: unit-sum spectra
  // (0.5, 0.5) -> (1, 0), distance sqrt(0.5).
  for (double& p : power_) p *= 4.0;
  v = Compute();
  EXPECT_NEAR(v.flux, 0.0, 1e-12);
  power_[96] = 0.0;
  v = Compute();
  EXPECT_NEAR(v.flux, std::sqrt(0.5), 1e-12);
  shape_.Reset();
  EXPECT_EQ(shape_.max_power(), 0.0);
  EXPECT_EQ(Compute().flux, 0.0);
}

TEST_F(SpectralShapeTest, SilenceIsFinite) {
  const SpectralShape::Values v = Compute();
  EXPECT_NEAR(v.rms_db, -100.0, 1e-9);
  EXPECT_EQ(v.centroid_hz, 0.0);
  EXPECT_EQ(v.spread_hz, 0.0);
  EXPECT_EQ(v.rolloff_hz, 0.0);
  EXPECT_EQ(v.flux, 0.0);
  for (double c : Contrast()) EXPECT_EQ(c, 0.0);
}

TEST(FlatnessTest, GeometricOverArithmeticMeanOfPower) {
  // Flat at any level: 1.
  EXPECT_NEAR(FlatnessOfDb(std::vector<float>(96, -37.0f)), 1.0, 1e-12);
  EXPECT_NEAR(FlatnessOfDb(std::vector<float>(96, 20.0f)), 1.0, 1e-12);
  // Two values, 0 dB and -20 dB (powers 1 and 0.01): sqrt(0.01) / 0.505.
  EXPECT_NEAR(FlatnessOfDb(std::vector<float>{0.0f, -20.0f}), 0.1 / 0.505,
              1e-9);
  // One band 60 dB above 95 others: about 1e-6^(95/96) * 96.
  std::vector<float> line(96, -60.0f);
  line[10] = 0.0f;
  EXPECT_NEAR(FlatnessOfDb(line),
              std::pow(1e-6, 95.0 / 96.0) / ((1.0 + 95e-6) / 96.0), 1e-9);
  EXPECT_LT(FlatnessOfDb(line), 1e-3);
  EXPECT_EQ(FlatnessOfDb({}), 1.0);
}

TEST(ZeroCrossingRateTest, SineGivesTwiceItsFrequencyOverTheRate) {
  const FrontEndParams fe = Preset("default");
  for (double hz : {100.0, 440.0, 3000.0}) {
    const std::vector<float> x = Tones({hz}, fe.sample_rate, 1.0, 0.5);
    const std::vector<float> z = ZeroCrossingRates(x, fe, 7500.0);
    ASSERT_EQ(z.size(), static_cast<size_t>(NumFrames(x.size(), fe)));
    // Away from the ends (the first frame holds the filter's start).
    const double want = 2.0 * hz / fe.sample_rate;
    for (size_t t = 2; t + 2 < z.size(); ++t) {
      EXPECT_NEAR(z[t], want, 2.0 / fe.n_fft) << hz << " Hz, frame " << t;
    }
  }
}

TEST(ZeroCrossingRateTest, TheLowPassHidesContentAboveTheCutoff) {
  // A 300 Hz sine plus a 7 kHz one of the same amplitude: unfiltered, the
  // 7 kHz one adds crossings (rate 0.48); low-passed at 2 kHz, only 300 Hz
  // remains (4th-order Butterworth: 7 kHz is about 85 dB down).
  const FrontEndParams fe = Preset("default");
  std::vector<float> x = Tones({300.0}, fe.sample_rate, 1.0, 0.4);
  const std::vector<float> hi = Tones({7000.0}, fe.sample_rate, 1.0, 0.4);
  for (size_t i = 0; i < x.size(); ++i) x[i] += hi[i];
  const size_t mid = NumFrames(x.size(), fe) / 2;
  const double low = ZeroCrossingRates(x, fe, 2000.0)[mid];
  const double full = ZeroCrossingRates(x, fe, 8000.0)[mid];  // no filter
  EXPECT_NEAR(low, 2.0 * 300.0 / fe.sample_rate, 2.0 / fe.n_fft);
  EXPECT_GT(full, 10.0 * low);
  const std::vector<float> silent(1000, 0.0f);
  for (float v : ZeroCrossingRates(silent, fe, 2000.0)) EXPECT_EQ(v, 0.0f);
}

TEST(DissonanceTest, PairRoughnessFollowsPlompLevelt) {
  EXPECT_DOUBLE_EQ(PairRoughness(440.0, 440.0), 0.0);
  // Peaks near a quarter of a critical band (~20 Hz at 440 Hz), gone by an
  // octave.
  double best = 0.0, best_d = 0.0;
  for (double d = 1.0; d < 200.0; d += 0.5) {
    const double r = PairRoughness(440.0, 440.0 + d);
    if (r > best) best = r, best_d = d;
  }
  EXPECT_NEAR(best, 1.0, 1e-3);
  EXPECT_GT(best_d, 15.0);
  EXPECT_LT(best_d, 40.0);
  EXPECT_LT(PairRoughness(440.0, 880.0), 1e-3);
  EXPECT_DOUBLE_EQ(PairRoughness(460.0, 440.0), PairRoughness(440.0, 460.0));
  const SpectralPeak two[] = {{440.0, 1.0}, {440.0 + best_d, 1.0}};
  EXPECT_NEAR(SensoryDissonance(two), 0.5, 1e-3);
  EXPECT_EQ(SensoryDissonance({}), 0.0);
}

TEST(DissonanceTest, PeaksAreFoundAndRefined) {
  // A Hann-windowed sine between bins: the parabola puts it within a
  // tenth of a bin.
  const int n = 4096;
  const double bin_hz = 16000.0 / n;
  std::vector<double> mag(n / 2 + 1, 0.0);
  for (double f : {440.0, 1234.5}) {
    const double k0 = f / bin_hz;
    for (int k = 0; k <= n / 2; ++k) {
      const double x = k - k0;  // Hann main lobe, |x| < 2
      if (std::fabs(x) < 2.0) {
        mag[k] += std::fabs(std::sin(std::numbers::pi * x) /
                            (std::numbers::pi * x * (1.0 - x * x)));
      }
    }
  }
  const std::vector<SpectralPeak> peaks =
      FindSpectralPeaks(mag, bin_hz, 50.0, 24);
  ASSERT_EQ(peaks.size(), 2u);
  EXPECT_NEAR(peaks[0].hz, 440.0, 0.1 * bin_hz);
  EXPECT_NEAR(peaks[1].hz, 1234.5, 0.1 * bin_hz);
  EXPECT_EQ(FindSpectralPeaks(mag, bin_hz, 50.0, 1).size(), 1u);
}

TEST(TrackStatisticsTest, MeansSpreadsAndWholeTrackValues) {
  DescriptorMatrix m;
  m.n_dims = kNumDescriptors;
  m.n_frames = 100;
  m.data.assign(static_cast<size_t>(m.n_dims) * m.n_frames, 0.0f);
  auto row = [&](int r) { return m.data.data() + r * m.n_frames; };
  for (int t = 0; t < 100; ++t) {
    row(kRmsDbRow)[t] = static_cast<float>(-t);  // -99 .. 0
    row(kTempoRow)[t] = t < 60 ? 100.0f : 140.0f;
    row(kCentroidRow)[t] = t % 2 ? 1000.0f : 3000.0f;
    row(kChromaRow + 9)[t] = 1.0f;  // A C E
    row(kChromaRow + 0)[t] = 1.0f;
    row(kChromaRow + 4)[t] = 1.0f;
  }
  const std::vector<float> s = TrackStatistics(m);
  const std::vector<std::string>& names = TrackStatisticNames();
  ASSERT_EQ(s.size(), names.size());
  auto stat = [&](const std::string& name) {
    const auto it = std::find(names.begin(), names.end(), name);
    EXPECT_NE(it, names.end()) << name;
    return it == names.end() ? NAN : s[it - names.begin()];
  };
  EXPECT_FLOAT_EQ(stat("centroid_hz.mean"), 2000.0f);
  EXPECT_FLOAT_EQ(stat("centroid_hz.std"), 1000.0f);
  EXPECT_FLOAT_EQ(stat("rms_db.mean"), -49.5f);
  EXPECT_NEAR(stat("rms_db.std"), std::sqrt((100.0 * 100.0 - 1.0) / 12.0),
              1e-4);
  EXPECT_NEAR(stat("rms_db.range"), 0.9 * 99.0, 1e-3);  // p95 - p5
  EXPECT_FLOAT_EQ(stat("tempo_bpm.median"), 100.0f);
  EXPECT_FLOAT_EQ(stat("tempo_bpm.mean"), 116.0f);
  EXPECT_LT(stat("mode.track"), -0.2f);
  EXPECT_GT(stat("key_clarity.track"), 0.8f);
  EXPECT_FLOAT_EQ(stat("zcr.std"), 0.0f);
  m.n_frames = 0;
  m.data.clear();
  for (float v : TrackStatistics(m)) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace mer::dsp
