// FeatureExtractor: the log-mel bands, then the descriptor rows, on the same
// frames; and FeatureParams' checks and JSON.
#include "common/dsp/feature_extractor.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/dsp/descriptor_test_util.h"

namespace mer::dsp {
namespace {

using testing::Noise;
using testing::Preset;
using testing::Tones;

TEST(FeatureExtractorTest, LogMelOnlyEqualsTheLogMel) {
  const FrontEndParams fe = Preset("default");
  FeatureExtractor e({fe, std::nullopt});
  LogMelExtractor mel(fe);
  const std::vector<float> x = Noise(16000 * 3, 0.3f, 7);
  const Spectrogram got = e.Compute(x);
  const Spectrogram want = mel.Compute(x);
  EXPECT_EQ(e.params().rows(), fe.n_mels);
  EXPECT_EQ(got.n_mels, want.n_mels);
  EXPECT_EQ(got.n_frames, want.n_frames);
  EXPECT_EQ(got.data, want.data);
}

TEST(FeatureExtractorTest, DescriptorRowsFollowTheBands) {
  const FrontEndParams fe = Preset("default");
  const FeatureParams params{fe, DescriptorParams()};
  ASSERT_TRUE(params.Validate().ok());
  EXPECT_EQ(params.rows(), fe.n_mels + kNumDescriptors);
  FeatureExtractor e(params);
  LogMelExtractor mel(fe);
  DescriptorExtractor desc(fe);
  // A C major triad over noise: every row group has something to say.
  std::vector<float> x = Tones({261.63, 329.63, 392.0}, 16000, 5.0);
  const std::vector<float> n = Noise(x.size(), 0.05f, 3);
  for (size_t i = 0; i < x.size(); ++i) x[i] += n[i];
  const Spectrogram got = e.Compute(x);
  const Spectrogram m = mel.Compute(x);
  const DescriptorMatrix d = desc.Compute(x);
  ASSERT_EQ(got.n_mels, fe.n_mels + kNumDescriptors);
  ASSERT_EQ(got.n_frames, m.n_frames);
  ASSERT_EQ(got.data.size(), m.data.size() + d.data.size());
  EXPECT_TRUE(std::equal(m.data.begin(), m.data.end(), got.data.begin()));
  EXPECT_TRUE(std::equal(d.data.begin(), d.data.end(),
                         got.data.begin() + m.data.size()));
}

TEST(FeatureExtractorTest, ParamsCheckAndReadBackTheirDescriptors) {
  FeatureParams p{Preset("default"), DescriptorParams()};
  p.descriptors->fmax = 6000;
  auto back = FeatureParams::DescriptorsFromJson(p.DescriptorsJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(**back, *p.descriptors);
  auto none = FeatureParams::DescriptorsFromJson(nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(FeatureParams{Preset("default")}.DescriptorsJson().is_null());
  p.descriptors->floor_db = -1;  // out of range
  EXPECT_FALSE(p.Validate().ok());
  EXPECT_FALSE(FeatureParams::DescriptorsFromJson(nlohmann::json{{"fmax", "x"}})
                   .ok());
}

}  // namespace
}  // namespace mer::dsp
