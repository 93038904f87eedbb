#include "common/nn/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mer::nn {
namespace {

TEST(MetricsTest, ThreeClassReportMatchesHandComputation) {
  // class 0: P 2/2, R 2/4; class 1: P 1/3, R 1/2; class 2: P 4/5, R 4/4.
  const std::vector<int> truth = {0, 0, 0, 0, 1, 1, 2, 2, 2, 2};
  const std::vector<int> pred = {0, 0, 1, 1, 1, 2, 2, 2, 2, 2};
  const ClassificationReport r = EvaluateClassification(truth, pred, 3);
  EXPECT_EQ(r.confusion[0], (std::vector<int64_t>{2, 2, 0}));
  EXPECT_EQ(r.confusion[1], (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(r.confusion[2], (std::vector<int64_t>{0, 0, 4}));
  EXPECT_DOUBLE_EQ(r.accuracy, 0.7);
  EXPECT_NEAR(r.precision[1], 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.recall[0], 0.5, 1e-12);
  EXPECT_NEAR(r.f1[0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.f1[1], 0.4, 1e-12);
  EXPECT_NEAR(r.f1[2], 8.0 / 9, 1e-12);
  EXPECT_NEAR(r.macro_f1, (2.0 / 3 + 0.4 + 8.0 / 9) / 3, 1e-12);
  EXPECT_NEAR(r.macro_precision, (1 + 1.0 / 3 + 0.8) / 3, 1e-12);
  EXPECT_NEAR(r.macro_recall, 2.0 / 3, 1e-12);
  EXPECT_EQ(r.support, (std::vector<int64_t>{4, 2, 4}));
}

TEST(MetricsTest, UnlabelledTruthIsSkippedAndEmptyClassScoresZero) {
  const ClassificationReport r =
      EvaluateClassification({0, -1, 0, 1}, {0, 2, 1, 1}, 3);
  EXPECT_NEAR(r.accuracy, 2.0 / 3, 1e-12);
  EXPECT_EQ(r.support[2], 0);
  EXPECT_EQ(r.f1[2], 0.0);
}

TEST(MetricsTest, ArgmaxRows) {
  EXPECT_EQ(ArgmaxRows({0.1f, 0.7f, 0.2f, 0.5f, 0.4f, 0.1f}, 3),
            (std::vector<int>{1, 0}));
}

TEST(MetricsTest, RegressionMetrics) {
  // scikit-learn's r2_score example: 0.948608137...
  const std::vector<double> truth = {3, -0.5, 2, 7};
  const std::vector<double> pred = {2.5, 0.0, 2, 8};
  EXPECT_NEAR(RSquared(truth, pred), 0.9486081370449679, 1e-12);
  EXPECT_NEAR(Rmse(truth, pred), std::sqrt(0.375), 1e-12);
  EXPECT_NEAR(PearsonR({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5}), 6 / std::sqrt(60.0),
              1e-12);
  EXPECT_TRUE(std::isnan(PearsonR({1, 1, 1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(RSquared({2, 2}, {1, 3})));
}

TEST(MetricsTest, RocAucWithTiesUsesAverageRanks) {
  EXPECT_NEAR(RocAuc({0, 0, 1, 1}, {0.1, 0.4, 0.35, 0.8}), 0.75, 1e-12);
  // Positives 0.2, 0.5, 0.9 vs negatives 0.2, 0.5: pairs 0.5+0+1+0.5+1+1.
  EXPECT_NEAR(RocAuc({0, 1, 0, 1, 1}, {0.2, 0.2, 0.5, 0.5, 0.9}), 4.0 / 6,
              1e-12);
  EXPECT_NEAR(RocAuc({1, 0, 1, 0}, {0.5, 0.5, 0.5, 0.5}), 0.5, 1e-12);
  EXPECT_TRUE(std::isnan(RocAuc({1, 1}, {0.3, 0.4})));
}

TEST(MetricsTest, AveragePrecision) {
  // scikit-learn's average_precision_score example: 0.8333...
  EXPECT_NEAR(AveragePrecision({0, 0, 1, 1}, {0.1, 0.4, 0.35, 0.8}), 5.0 / 6,
              1e-12);
  // A tie of one positive and one negative at the top is one threshold.
  EXPECT_NEAR(AveragePrecision({1, 0}, {0.5, 0.5}), 0.5, 1e-12);
}

TEST(MetricsTest, MacroOverTagsSkipsUndefinedTags) {
  // Tag 0 as the AUC example above, tag 1 has no positive.
  const std::vector<int> labels = {0, 0, 0, 0, 1, 0, 1, 0};
  const std::vector<double> scores = {0.1, 0.3, 0.4, 0.2, 0.35, 0.9, 0.8, 0.5};
  const TagReport r = EvaluateTags(labels, scores, 2);
  EXPECT_NEAR(r.roc_auc[0], 0.75, 1e-12);
  EXPECT_TRUE(std::isnan(r.roc_auc[1]));
  EXPECT_NEAR(r.macro_roc_auc, 0.75, 1e-12);
  EXPECT_NEAR(r.macro_pr_auc, 5.0 / 6, 1e-12);
}

}  // namespace
}  // namespace mer::nn
