#include "common/dsp/front_end_params.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mer::dsp {
namespace {

FrontEndParams Preset(const std::string& name) {
  core::Result<FrontEndParams> p = PresetParams(name);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : FrontEndParams{};
}

TEST(FrontEndParamsTest, PresetsHoldTheirDocumentedValues) {
  EXPECT_EQ(PresetNames(),
            (std::vector<std::string>{"default", "librosa", "paper2019"}));
  const FrontEndParams d = Preset("default");
  EXPECT_EQ(d.sample_rate, 16000);
  EXPECT_EQ(d.n_fft, 512);
  EXPECT_EQ(d.hop_length, 256);
  EXPECT_EQ(d.n_mels, 96);
  EXPECT_EQ(d.fmax, 8000.0f);
  EXPECT_EQ(d.mel_scale, MelScale::kSlaney);
  EXPECT_EQ(d.mel_norm, MelNorm::kSlaney);
  EXPECT_EQ(d.SegmentFrames(), 256);
  EXPECT_EQ(d.SegmentHopFrames(), 128);

  const FrontEndParams l = Preset("librosa");
  EXPECT_EQ(l.sample_rate, 22050);
  EXPECT_EQ(l.n_fft, 2048);
  EXPECT_EQ(l.hop_length, 512);
  EXPECT_EQ(l.n_mels, 128);
  EXPECT_EQ(l.fmax, 11025.0f);
  EXPECT_EQ(l.segment_seconds, 3.0);
  EXPECT_EQ(l.segment_hop_seconds, 1.5);

  const FrontEndParams p = Preset("paper2019");
  EXPECT_EQ(p.sample_rate, 44100);
  EXPECT_EQ(p.n_fft, 256);
  EXPECT_EQ(p.hop_length, 128);
  EXPECT_EQ(p.n_mels, 96);
  EXPECT_EQ(p.SegmentFrames(), 1366);
  EXPECT_EQ(p.SegmentHopFrames(), 1366);

  for (const std::string& name : PresetNames()) {
    EXPECT_TRUE(Preset(name).Validate().ok()) << name;
  }
}

TEST(FrontEndParamsTest, UnknownPresetListsTheValidNames) {
  core::Result<FrontEndParams> p = PresetParams("fast");
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.status().IsInvalidArgument());
  EXPECT_NE(p.status().message().find("\"fast\""), std::string::npos);
  EXPECT_NE(p.status().message().find("default, librosa, paper2019"),
            std::string::npos)
      << p.status().message();
}

TEST(FrontEndParamsTest, DescribeIsOneReadableLine) {
  EXPECT_EQ(Preset("default").Describe(),
            "16000 Hz, n_fft 512, hop 256 (16 ms), 96 mels slaney/slaney, "
            "0-8000 Hz, segments 4.096 s / hop 2.048 s");
  FrontEndParams p = Preset("default");
  p.win_length = 400;
  p.top_db = 80.0f;
  p.pad_mode = PadMode::kConstant;
  p.mel_scale = MelScale::kHtk;
  EXPECT_EQ(
      p.Describe(),
      "16000 Hz, n_fft 512, win 400, hop 256 (16 ms), 96 mels htk/slaney, "
      "0-8000 Hz, constant padding, top_db 80, segments 4.096 s / hop "
      "2.048 s");
  const std::string all = DescribePresets();
  for (const std::string& name : PresetNames()) {
    EXPECT_NE(all.find(name + ": " + Preset(name).Describe()),
              std::string::npos)
        << all;
    EXPECT_NE(all.find(Preset(name).Digest()), std::string::npos);
  }
  EXPECT_NE(all.find("segments of 1366 frames every 1366 frames"),
            std::string::npos)
      << all;
}

struct BadCase {
  const char* name;
  void (*mutate)(FrontEndParams&);
  const char* message;
};

TEST(FrontEndParamsTest, ValidateRejectsBadValuesWithClearMessages) {
  const BadCase cases[] = {
      {"rate", [](FrontEndParams& p) { p.sample_rate = 0; },
       "sample_rate 0: must be between 1000 and 768000 Hz"},
      {"n_fft", [](FrontEndParams& p) { p.n_fft = 8; },
       "n_fft 8: must be between 16 and 1048576"},
      {"win", [](FrontEndParams& p) { p.win_length = 600; },
       "win_length 600: must be between 1 and n_fft 512 (0 means n_fft)"},
      {"hop", [](FrontEndParams& p) { p.hop_length = 0; },
       "hop_length 0: must be at least 1"},
      {"mels", [](FrontEndParams& p) { p.n_mels = 0; },
       "n_mels 0: must be between 1 and 4096"},
      {"fmax", [](FrontEndParams& p) { p.fmax = 9000.0f; },
       "fmax 9000: must be at most sample_rate / 2 = 8000 Hz"},
      {"fmin", [](FrontEndParams& p) { p.fmin = 8000.0f; },
       "fmin 8000: must be >= 0 and below fmax 8000 Hz"},
      {"fmin_neg", [](FrontEndParams& p) { p.fmin = -1.0f; },
       "fmin -1: must be >= 0"},
      {"top_db", [](FrontEndParams& p) { p.top_db = NAN; },
       "top_db nan: must be a finite number"},
      {"segment", [](FrontEndParams& p) { p.segment_seconds = 0.001; },
       "segment_seconds 0.001: must be at least one hop (0.016 s)"},
      {"segment_neg", [](FrontEndParams& p) { p.segment_seconds = -4.0; },
       "segment_seconds -4: must be above 0"},
      {"seg_hop", [](FrontEndParams& p) { p.segment_hop_seconds = 0.0; },
       "segment_hop_seconds 0: must be above 0"},
      {"seg_hop_long", [](FrontEndParams& p) { p.segment_hop_seconds = 5.0; },
       "segment_hop_seconds 5: must not exceed segment_seconds 4.096"},
      {"scale",
       [](FrontEndParams& p) { p.mel_scale = static_cast<MelScale>(7); },
       "mel_scale 7: must be slaney or htk"},
  };
  for (const BadCase& c : cases) {
    FrontEndParams p = Preset("default");
    c.mutate(p);
    const core::Status s = p.Validate();
    EXPECT_TRUE(s.IsInvalidArgument()) << c.name;
    EXPECT_NE(s.message().find(c.message), std::string::npos)
        << c.name << ": " << s.message();
  }
}

TEST(FrontEndParamsTest, CanonicalAndDigestAreStable) {
  const FrontEndParams d = Preset("default");
  EXPECT_EQ(d.Canonical(),
            "fe1;sample_rate=16000;n_fft=512;win_length=512;hop_length=256;"
            "n_mels=96;fmin=0;fmax=8000;mel_scale=slaney;mel_norm=slaney;"
            "center=true;pad_mode=reflect;top_db=0;segment_seconds=4.096;"
            "segment_hop_seconds=2.048");
  // Written into shards and bundles: changing it orphans existing data.
  EXPECT_EQ(d.Digest(), "fe1-b1b7f76d3c68e9e7");
  EXPECT_NE(d.Digest(), Preset("librosa").Digest());
  EXPECT_NE(d.Digest(), Preset("paper2019").Digest());
  EXPECT_NE(Preset("librosa").Digest(), Preset("paper2019").Digest());

  // "0 means" fields digest as their effective values.
  FrontEndParams explicit_values = d;
  explicit_values.win_length = 512;
  FrontEndParams implicit_fmax = d;
  implicit_fmax.fmax = 0.0f;
  EXPECT_EQ(explicit_values.Digest(), d.Digest());
  EXPECT_EQ(implicit_fmax.Digest(), d.Digest());

  FrontEndParams changed = d;
  changed.top_db = 80.0f;
  EXPECT_NE(changed.Digest(), d.Digest());
  changed = d;
  changed.segment_hop_seconds = 1.024;
  EXPECT_NE(changed.Digest(), d.Digest());
}

TEST(FrontEndParamsTest, JsonRoundTrips) {
  std::vector<FrontEndParams> all;
  for (const std::string& name : PresetNames()) all.push_back(Preset(name));
  FrontEndParams custom;
  custom.win_length = 400;
  custom.fmin = 20.5f;
  custom.fmax = 7600.25f;
  custom.mel_scale = MelScale::kHtk;
  custom.mel_norm = MelNorm::kNone;
  custom.center = false;
  custom.pad_mode = PadMode::kConstant;
  custom.top_db = 80.0f;
  custom.segment_seconds = 1366.0 * 128.0 / 44100.0;
  all.push_back(custom);
  for (const FrontEndParams& p : all) {
    const nlohmann::json j = p.ToJson();
    EXPECT_EQ(j.at("digest"), p.Digest());
    // Through text too, as shards store it.
    core::Result<FrontEndParams> back =
        FrontEndParams::FromJson(nlohmann::json::parse(j.dump()));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, p) << p.Describe();
  }
}

TEST(FrontEndParamsTest, FromJsonRefusesWhatItCannotTrust) {
  const nlohmann::json good = Preset("default").ToJson();
  auto error = [](const nlohmann::json& j) {
    core::Result<FrontEndParams> p = FrontEndParams::FromJson(j);
    return p.ok() ? std::string("OK") : p.status().message();
  };
  nlohmann::json j = good;
  j["n_ftt"] = 512;
  EXPECT_NE(error(j).find("unknown key \"n_ftt\""), std::string::npos)
      << error(j);
  j = good;
  j.erase("hop_length");
  EXPECT_NE(error(j).find("missing key \"hop_length\""), std::string::npos);
  j = good;
  j["n_fft"] = "512";
  EXPECT_NE(error(j).find("\"n_fft\" must be an integer"), std::string::npos);
  j = good;
  j["mel_scale"] = "mel";
  EXPECT_NE(error(j).find("\"mel_scale\" must be \"slaney\" or \"htk\""),
            std::string::npos);
  j = good;
  j["center"] = 1;
  EXPECT_NE(error(j).find("\"center\" must be true or false"),
            std::string::npos);
  j = good;
  j["n_fft"] = 8;
  j.erase("digest");
  EXPECT_NE(error(j).find("n_fft 8: must be"), std::string::npos) << error(j);
  j = good;
  j["n_mels"] = 64;  // the digest still names 96 bands
  EXPECT_NE(error(j).find("does not match the fields"), std::string::npos)
      << error(j);
  j.erase("digest");
  EXPECT_EQ(error(j), "OK");
  EXPECT_NE(error(nlohmann::json::array()).find("expected a JSON object"),
            std::string::npos);
}

}  // namespace
}  // namespace mer::dsp
