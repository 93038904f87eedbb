#include "common/nn/fold_statistics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mer::nn {
namespace {

TEST(FoldStatisticsTest, MeanAndSampleStd) {
  const MeanStd ms = MeanAndStd({1, 2, 3, 4, NAN});
  EXPECT_EQ(ms.n, 4);
  EXPECT_DOUBLE_EQ(ms.mean, 2.5);
  EXPECT_NEAR(ms.std, std::sqrt(5.0 / 3), 1e-12);
  EXPECT_EQ(MeanAndStd({7}).std, 0.0);
  EXPECT_TRUE(std::isnan(MeanAndStd({}).mean));
}

TEST(FoldStatisticsTest, IncompleteBetaMatchesClosedForm) {
  // I_x(2, 3) = sum_{j=2..4} C(4, j) x^j (1 - x)^(4 - j).
  const double x = 0.4;
  const double expected =
      6 * x * x * 0.36 + 4 * x * x * x * 0.6 + x * x * x * x;
  EXPECT_NEAR(RegularizedIncompleteBeta(2, 3, x), expected, 1e-12);
  EXPECT_NEAR(RegularizedIncompleteBeta(2, 3, 0.9),
              1 - RegularizedIncompleteBeta(3, 2, 0.1), 1e-12);
  EXPECT_EQ(RegularizedIncompleteBeta(2, 3, 0), 0.0);
  EXPECT_EQ(RegularizedIncompleteBeta(2, 3, 1), 1.0);
}

TEST(FoldStatisticsTest, StudentTCriticalValues) {
  // Two-sided 5 % critical values from t tables.
  EXPECT_NEAR(StudentTTwoSidedP(2.262, 9), 0.05, 1e-3);
  EXPECT_NEAR(StudentTTwoSidedP(2.776, 4), 0.05, 1e-3);
  EXPECT_NEAR(StudentTTwoSidedP(12.706, 1), 0.05, 1e-3);
  EXPECT_NEAR(StudentTTwoSidedP(3.250, 9), 0.01, 1e-3);
  EXPECT_NEAR(StudentTTwoSidedP(-2.262, 9), 0.05, 1e-3);
  EXPECT_DOUBLE_EQ(StudentTTwoSidedP(0, 5), 1.0);
}

TEST(FoldStatisticsTest, PairedTTest) {
  // Differences 0.1 0.3 -0.1 0.4 0.5: mean 0.24, sd sqrt(0.058).
  auto r = PairedTTest({1, 2, 3, 4, 5}, {0.9, 1.7, 3.1, 3.6, 4.5});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dof, 4);
  EXPECT_NEAR(r->t, 0.24 / (std::sqrt(0.058) / std::sqrt(5.0)), 1e-9);
  EXPECT_GT(r->p_value, 0.05);  // t = 2.228 < 2.776
  EXPECT_LT(r->p_value, 0.10);  // t = 2.228 > 2.132

  EXPECT_FALSE(PairedTTest({1, 2}, {1}).ok());
  EXPECT_FALSE(PairedTTest({1}, {1}).ok());
  auto same = PairedTTest({1, 2, 3}, {1, 2, 3});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->p_value, 1.0);
}

}  // namespace
}  // namespace mer::nn
