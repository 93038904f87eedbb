// TrackInference: a track gets bit for bit the numbers it gets alone when
// several tracks go through one call; a track without frames is a clear
// error; running out of memory is a Status, never a crash of the thread.
#include "common/nn/track_inference.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/core/emotion.h"
#include "common/nn/model_bundle.h"
#include "common/nn/va_calibration.h"
#include "tests/util/test_util.h"

namespace mer::nn {
namespace {

class TrackInferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(5);
    ModelConfig c;
    c.n_mels = 16;
    c.n_frames = 32;
    c.channels = {4, 8, 8, 8};
    c.rnn_hidden = 8;
    c.rnn_layers = 1;
    c.num_tags = 2;
    ASSERT_OK_AND_ASSIGN(EmotionModel model, MakeModel(c));
    LoadedModel loaded;
    loaded.model = model;
    loaded.manifest.model_id = "m-test";
    loaded.manifest.config = model->config();
    PredictorOptions o;
    o.batch_size = 5;  // tracks longer and shorter than a pass
    ASSERT_OK_AND_ASSIGN(Predictor p, Predictor::Create(std::move(loaded), o));
    predictor_.emplace(std::move(p));
    plan_.frames = 32;
    plan_.hop_frames = 16;
    plan_.seconds_per_frame = 0.01;
  }
  std::vector<float> Mel(int frames, unsigned seed) const {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(-40.0f, 15.0f);
    std::vector<float> m(16 * frames);
    for (float& x : m) x = d(rng);
    return m;
  }
  std::optional<Predictor> predictor_;
  WindowPlan plan_;
};

void ExpectIdentical(const TrackPrediction& a, const TrackPrediction& b) {
  EXPECT_EQ(a.quadrant_probs, b.quadrant_probs);
  EXPECT_EQ(a.valence, b.valence);
  EXPECT_EQ(a.arousal, b.arousal);
  EXPECT_EQ(a.embedding, b.embedding);
  EXPECT_EQ(a.tag_probs, b.tag_probs);
  ASSERT_EQ(a.timeline.size(), b.timeline.size());
  for (size_t i = 0; i < a.timeline.size(); ++i) {
    EXPECT_EQ(a.timeline[i].start_seconds, b.timeline[i].start_seconds);
    EXPECT_EQ(a.timeline[i].valence, b.timeline[i].valence);
  }
}

TEST_F(TrackInferenceTest, TracksBatchedTogetherGetTheirOwnNumbers) {
  TrackInference inference(&*predictor_, plan_);
  const std::vector<int> lengths = {200, 7, 32, 95};  // 11, 1, 1, 4 windows
  std::vector<std::vector<float>> mels;
  std::vector<TrackWindows> windows;
  std::vector<TrackPrediction> alone;
  for (size_t i = 0; i < lengths.size(); ++i) {
    mels.push_back(Mel(lengths[i], static_cast<unsigned>(i)));
    windows.push_back(inference.Window(mels[i].data(), 16, lengths[i]));
    ASSERT_OK_AND_ASSIGN(TrackPrediction p,
                         inference.PredictMel(mels[i].data(), 16, lengths[i]));
    alone.push_back(p);
  }
  EXPECT_EQ(alone[0].num_segments, 11);
  EXPECT_EQ(alone[1].num_segments, 1);
  EXPECT_EQ(alone[3].timeline.back().start_seconds, 0.01f * 48);
  std::vector<const TrackWindows*> all;
  for (const TrackWindows& w : windows) all.push_back(&w);
  ASSERT_OK_AND_ASSIGN(std::vector<TrackPrediction> together,
                       inference.Predict(all));
  ASSERT_EQ(together.size(), lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    SCOPED_TRACE("track " + std::to_string(i));
    ExpectIdentical(alone[i], together[i]);
  }
}

TEST_F(TrackInferenceTest, AVaModelsMoodIsTheQuadrantOfItsVaPoint) {
  ASSERT_EQ(predictor_->manifest().config.quadrant_head, "va");
  TrackInference inference(&*predictor_, plan_);
  for (unsigned seed = 0; seed < 20; ++seed) {
    const std::vector<float> mel = Mel(40 + 10 * seed, seed);
    ASSERT_OK_AND_ASSIGN(TrackPrediction p,
                         inference.PredictMel(mel.data(), 16, 40 + 10 * seed));
    EXPECT_EQ(p.quadrant,
              static_cast<int>(core::QuadrantOf(p.valence, p.arousal)));
    const std::array<float, 4> want =
        QuadrantProbs(p.valence, p.arousal, predictor_->manifest().calibration);
    EXPECT_EQ(p.quadrant_probs, std::vector<float>(want.begin(), want.end()));
  }
}

TEST_F(TrackInferenceTest, ATrackWithoutFramesIsAnError) {
  TrackInference inference(&*predictor_, plan_);
  auto p = inference.PredictMel(nullptr, 16, 0);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.status().IsInvalidArgument());
  const TrackWindows empty;
  const std::vector<float> mel = Mel(40, 1);
  const TrackWindows some = inference.Window(mel.data(), 16, 40);
  const TrackWindows* both[] = {&some, &empty};
  EXPECT_FALSE(inference.Predict(both).ok());
}

// This process's address space in bytes (VmSize).
size_t AddressSpace() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmSize:", 0) == 0)
      return std::stoull(line.substr(7)) * 1024;
  }
  return 0;
}

// In a child process: a track's padded remainder pass needs 4 MB, and only
// 1 MB of address space is left; exits 0 when Predict answered with an
// "out of memory" Status.
[[noreturn]] void PredictWithLittleMemory(TrackInference& inference,
                                          const std::vector<float>& mel,
                                          int frames) {
  const TrackWindows one = inference.Window(mel.data(), 16, frames);
  const size_t limit = AddressSpace() + (size_t{1} << 20);
  const rlimit rl{limit, limit};
  setrlimit(RLIMIT_AS, &rl);
  const TrackWindows* tracks[] = {&one};
  auto r = inference.Predict(tracks);
  std::fprintf(stderr, "%s\n", r.ok() ? "ok" : r.status().ToString().c_str());
  const bool oom = !r.ok() && r.status().message().find("out of memory") !=
                                  std::string::npos;
  std::exit(oom ? 0 : 1);
}

TEST_F(TrackInferenceTest, OutOfMemoryIsAStatusNotACrash) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  WindowPlan big = plan_;
  big.frames = 8192;  // 512 KB windows; the remainder pass pads to 8
  TrackInference inference(&*predictor_, big);
  const std::vector<float> mel(static_cast<size_t>(16) * 8192, -30.0f);
  EXPECT_EXIT(PredictWithLittleMemory(inference, mel, 8192),
              ::testing::ExitedWithCode(0), "out of memory");
}

}  // namespace
}  // namespace mer::nn
