#include "common/dsp/mel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "tests/unit/dsp/golden.h"

namespace mer::dsp {
namespace {

TEST(MelTest, ScalesMatchReferenceValues) {
  // librosa.hz_to_mel(500) and (500, htk=True), and at 2000 Hz.
  EXPECT_NEAR(HzToMel(500.0, MelScale::kSlaney), 7.5, 1e-9);
  EXPECT_NEAR(HzToMel(500.0, MelScale::kHtk), 607.44591966, 1e-6);
  EXPECT_NEAR(HzToMel(2000.0, MelScale::kSlaney), 25.08188016, 1e-6);
  EXPECT_NEAR(HzToMel(2000.0, MelScale::kHtk), 1521.35955416, 1e-6);
  EXPECT_NEAR(HzToMel(1000.0, MelScale::kSlaney), 15.0, 1e-9);
  EXPECT_EQ(HzToMel(0.0, MelScale::kSlaney), 0.0);
  EXPECT_EQ(HzToMel(0.0, MelScale::kHtk), 0.0);
  for (MelScale scale : {MelScale::kSlaney, MelScale::kHtk}) {
    for (double hz :
         {0.0, 20.0, 500.0, 999.9, 1000.0, 2000.0, 8000.0, 22050.0}) {
      EXPECT_NEAR(MelToHz(HzToMel(hz, scale), scale), hz, 1e-9 * (1 + hz))
          << hz;
    }
  }
}

// Compares MelFilterbank(params of `case_name` in the manifest) with the
// torchaudio filterbank: 1e-4 relative, plus an absolute allowance of 1e-6 of
// the row's peak for entries that are ~0 (a bin on a triangle's edge).
void ExpectMatchesGolden(const std::string& case_name) {
  const nlohmann::json manifest = testing::Manifest();
  ASSERT_TRUE(manifest.is_object()) << "unreadable manifest.json";
  const nlohmann::json& c = manifest["cases"][case_name];
  core::Result<FrontEndParams> p = FrontEndParams::FromJson(c["params"]);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  int n_mels = 0, n_freqs = 0;
  const std::vector<float> golden = testing::ReadSparseFilterbank(
      c["fbank"].get<std::string>(), &n_mels, &n_freqs);
  ASSERT_FALSE(golden.empty()) << c["fbank"];
  ASSERT_EQ(n_mels, p->n_mels);
  ASSERT_EQ(n_freqs, p->NumFreqs());

  const std::vector<float> fb = MelFilterbank(*p);
  ASSERT_EQ(fb.size(), golden.size());
  int bad = 0;
  for (int m = 0; m < n_mels; ++m) {
    const float* g = golden.data() + static_cast<size_t>(m) * n_freqs;
    const float* f = fb.data() + static_cast<size_t>(m) * n_freqs;
    const float peak = *std::max_element(g, g + n_freqs);
    EXPECT_GT(peak, 0.0f) << "empty golden filter " << m;
    for (int k = 0; k < n_freqs; ++k) {
      const double tol = 1e-4 * std::fabs(g[k]) + 1e-6 * peak;
      if (std::fabs(f[k] - g[k]) > tol && ++bad <= 5) {
        ADD_FAILURE() << case_name << " mel " << m << " bin " << k << ": "
                      << f[k] << " vs torchaudio " << g[k];
      }
    }
  }
  EXPECT_EQ(bad, 0);

  // The sparse form the extractor uses is exact.
  const SparseFilterbank sparse =
      SparseFilterbank::FromDense(fb, n_mels, n_freqs);
  EXPECT_EQ(sparse.ToDense(), fb);
  EXPECT_LT(sparse.weights.size(), fb.size() / 8);
}

TEST(MelTest, DefaultPresetFilterbankMatchesTorchaudio) {
  ExpectMatchesGolden("default");
}
TEST(MelTest, LibrosaPresetFilterbankMatchesTorchaudio) {
  ExpectMatchesGolden("librosa");
}
TEST(MelTest, HtkUnnormalisedFilterbankMatchesTorchaudio) {
  ExpectMatchesGolden("htk");
}

TEST(MelTest, SlaneyNormGivesEqualAreasAndHtkPeaksAtOne) {
  FrontEndParams p;
  p.n_fft = 4096;  // fine bins, so sums approximate areas
  p.fmax = 8000.0f;
  const std::vector<float> fb = MelFilterbank(p);
  const int n_freqs = p.NumFreqs();
  const double bin_hz = static_cast<double>(p.sample_rate) / p.n_fft;
  for (int m = 10; m < p.n_mels; m += 20) {  // skip narrow low filters
    double area = 0.0;
    for (int k = 0; k < n_freqs; ++k) area += fb[m * n_freqs + k] * bin_hz;
    EXPECT_NEAR(area, 1.0, 0.02) << m;  // triangle of height 2/w, base w
  }
  p.mel_norm = MelNorm::kNone;
  const std::vector<float> htk = MelFilterbank(p);
  for (int m = 10; m < p.n_mels; m += 20) {
    const float peak = *std::max_element(htk.begin() + m * n_freqs,
                                         htk.begin() + (m + 1) * n_freqs);
    EXPECT_GT(peak, 0.9f);  // the apex falls between bins (3.9 Hz apart)
    EXPECT_LE(peak, 1.0f);
  }
}

TEST(MelTest, Paper2019PresetHasEmptyLowFilters) {
  // n_fft 256 at 44.1 kHz: 172 Hz bins, narrower than the low filters.
  const FrontEndParams p = *PresetParams("paper2019");
  const SparseFilterbank fb =
      SparseFilterbank::FromDense(MelFilterbank(p), p.n_mels, p.NumFreqs());
  int empty = 0;
  for (int m = 0; m < p.n_mels; ++m) empty += fb.start[m] == fb.end[m];
  EXPECT_EQ(empty, 18);
  EXPECT_EQ(fb.start[p.n_mels - 1] > 0, true);
}

}  // namespace
}  // namespace mer::dsp
