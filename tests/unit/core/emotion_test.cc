#include "common/core/emotion.h"

#include <gtest/gtest.h>

namespace mer::core {
namespace {

TEST(EmotionTest, ParsesCodesAndNames) {
  EXPECT_EQ(*ParseQuadrant("Q1"), Quadrant::kHappy);
  EXPECT_EQ(*ParseQuadrant("q2"), Quadrant::kTense);
  EXPECT_EQ(*ParseQuadrant(" sad "), Quadrant::kSad);
  EXPECT_EQ(*ParseQuadrant("Calm"), Quadrant::kCalm);
  EXPECT_FALSE(ParseQuadrant("Q5").ok());
  EXPECT_FALSE(ParseQuadrant("").ok());
}

TEST(EmotionTest, QuadrantOfPlane) {
  EXPECT_EQ(QuadrantOf(0.5f, 0.5f), Quadrant::kHappy);
  EXPECT_EQ(QuadrantOf(-0.5f, 0.5f), Quadrant::kTense);
  EXPECT_EQ(QuadrantOf(-0.5f, -0.5f), Quadrant::kSad);
  EXPECT_EQ(QuadrantOf(0.5f, -0.5f), Quadrant::kCalm);
}

TEST(EmotionTest, VaFromProbsAgreesWithQuadrant) {
  for (int q = 0; q < 4; ++q) {
    std::array<float, 4> p{0.1f, 0.1f, 0.1f, 0.1f};
    p[q] = 0.7f;
    ValenceArousal va = VaFromQuadrantProbs(p);
    EXPECT_EQ(QuadrantOf(va.valence, va.arousal), static_cast<Quadrant>(q));
  }
  ValenceArousal va = VaFromQuadrantProbs({1, 0, 0, 0});
  EXPECT_FLOAT_EQ(va.valence, 1);
  EXPECT_FLOAT_EQ(va.arousal, 1);
}

TEST(EmotionTest, NinePointScale) {
  EXPECT_FLOAT_EQ(FromNinePointScale(1), -1);
  EXPECT_FLOAT_EQ(FromNinePointScale(5), 0);
  EXPECT_FLOAT_EQ(FromNinePointScale(9), 1);
}

}  // namespace
}  // namespace mer::core
