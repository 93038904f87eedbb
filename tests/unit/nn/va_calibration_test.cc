// One emotion per track, torch-free side: the quadrant probabilities of a
// V-A point sum to one and peak at the quadrant the point lies in (ties on
// the axes included), the fitted scales recover a known one, and the ECE of
// a known example.
#include "common/nn/va_calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "common/core/emotion.h"

namespace mer::nn {
namespace {

TEST(VaCalibrationTest, TheMostProbableQuadrantIsTheOneThePointLiesIn) {
  VaCalibration c;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<std::pair<float, float>> points = {
      {0, 0}, {0, 0.5f}, {0, -0.5f}, {0.5f, 0}, {-0.5f, 0}};  // on the axes
  for (int i = 0; i < 1000; ++i) points.emplace_back(u(rng), u(rng));
  for (const auto& [v, a] : points) {
    const std::array<float, 4> p = QuadrantProbs(v, a, c);
    EXPECT_NEAR(p[0] + p[1] + p[2] + p[3], 1.0f, 1e-6f);
    // The stored mood is QuadrantOf(v, a); on an axis it ties with its
    // neighbour, elsewhere it is the one most probable quadrant.
    const float best = *std::max_element(p.begin(), p.end());
    const int mood = static_cast<int>(core::QuadrantOf(v, a));
    EXPECT_EQ(p[mood], best) << "(" << v << ", " << a << ")";
    if (v != 0 && a != 0) {
      for (int q = 0; q < 4; ++q) {
        if (q != mood) EXPECT_LT(p[q], best) << "(" << v << ", " << a << ")";
      }
    }
  }
  // A larger scale is more confident about the same point.
  VaCalibration sharp;
  sharp.valence_scale = sharp.arousal_scale = 20;
  EXPECT_GT(QuadrantProbs(0.3f, 0.3f, sharp)[0],
            QuadrantProbs(0.3f, 0.3f, c)[0]);
}

TEST(VaCalibrationTest, FittingRecoversTheScaleThatMadeTheLabels) {
  // Signs drawn with P(+) = sigmoid(6 v) and sigmoid(2 a).
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1), coin(0, 1);
  std::vector<float> v, a;
  std::vector<int> q;
  for (int i = 0; i < 20000; ++i) {
    v.push_back(u(rng));
    a.push_back(u(rng));
    const bool vp = coin(rng) < 1 / (1 + std::exp(-6 * v.back()));
    const bool ap = coin(rng) < 1 / (1 + std::exp(-2 * a.back()));
    q.push_back(ap ? (vp ? 0 : 1) : (vp ? 3 : 2));
  }
  q.push_back(-1);  // unknown labels are skipped
  v.push_back(0);
  a.push_back(0);
  const VaCalibration c = FitVaCalibration(v, a, q, "synthetic");
  EXPECT_TRUE(c.fitted);
  EXPECT_EQ(c.fitted_on, "synthetic");
  EXPECT_NEAR(c.valence_scale, 6.0, 0.4);
  EXPECT_NEAR(c.arousal_scale, 2.0, 0.2);
  auto back = VaCalibration::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->valence_scale, c.valence_scale);
}

TEST(VaCalibrationTest, ExpectedCalibrationErrorOfAKnownExample) {
  // Bin [0.9, 1): confidence 0.95 twice, one right: |0.5 - 0.95| * 2 / 4;
  // bin [0.5, 0.6): 0.55 twice, both right: |1 - 0.55| * 2 / 4.
  const double ece =
      ExpectedCalibrationError({0.95, 0.95, 0.55, 0.55}, {1, 0, 1, 1});
  EXPECT_NEAR(ece, (0.45 * 2 + 0.45 * 2) / 4, 1e-12);
  EXPECT_NEAR(
      ExpectedCalibrationError({0.8, 0.8, 0.8, 0.8, 0.8}, {1, 1, 1, 1, 0}), 0.0,
      1e-12);
  EXPECT_TRUE(std::isnan(ExpectedCalibrationError({}, {})));
}

}  // namespace
}  // namespace mer::nn
