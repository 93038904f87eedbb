// ModelSelector: the average of the last epochs beats the best epoch,
// which beats the last; patience stops training; epochs without a score
// never count against the patience.
#include "worker/train/model_selector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

namespace mer::worker {
namespace {

// Weights after epoch e are {e, 10 e}.
std::function<std::vector<float>()> Weights(int e) {
  return [e] { return std::vector<float>{float(e), 10.0f * e}; };
}

TEST(ModelSelectorTest, KeepsTheBestEpochByValidation) {
  ModelSelector s(/*epochs=*/5, /*average_last=*/0, /*patience=*/0);
  const double scores[] = {0.3, 0.6, 0.5, 0.55, 0.4};
  for (int e = 1; e <= 5; ++e) s.Observe(e, scores[e - 1], Weights(e));
  int kept = -1;
  EXPECT_EQ(s.Kept(5, &kept), (std::vector<float>{2, 20}));
  EXPECT_EQ(kept, 2);
  EXPECT_FALSE(s.ShouldStop());
}

TEST(ModelSelectorTest, AveragesTheLastEpochsWhenAsked) {
  ModelSelector s(/*epochs=*/5, /*average_last=*/3, /*patience=*/0);
  for (int e = 1; e <= 5; ++e) s.Observe(e, 0.1 * e, Weights(e));
  int kept = -1;
  EXPECT_EQ(s.Kept(5, &kept), (std::vector<float>{4, 40}));  // mean of 3..5
  EXPECT_EQ(kept, 0);
  EXPECT_EQ(s.state().averaged, 3);
}

TEST(ModelSelectorTest, WithoutValidationTheLastWeightsStay) {
  ModelSelector s(/*epochs=*/3, /*average_last=*/0, /*patience=*/2);
  for (int e = 1; e <= 3; ++e) s.Observe(e, NAN, Weights(e));
  int kept = -1;
  EXPECT_TRUE(s.Kept(3, &kept).empty());
  EXPECT_EQ(kept, 3);
  EXPECT_FALSE(s.ShouldStop());
}

TEST(ModelSelectorTest, PatienceStopsAfterThatManyEpochsWithoutProgress) {
  ModelSelector s(/*epochs=*/10, /*average_last=*/0, /*patience=*/2);
  s.Observe(1, 0.5, Weights(1));
  s.Observe(2, 0.4, Weights(2));
  EXPECT_FALSE(s.ShouldStop());
  s.Observe(3, 0.5, Weights(3));  // equal is not better
  EXPECT_TRUE(s.ShouldStop());
  // The state resumes exactly.
  ModelSelector resumed(10, 0, 2);
  resumed.set_state(s.state());
  EXPECT_TRUE(resumed.ShouldStop());
  int kept = -1;
  EXPECT_EQ(resumed.Kept(3, &kept), (std::vector<float>{1, 10}));
}

}  // namespace
}  // namespace mer::worker
