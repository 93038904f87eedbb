#include "common/nn/track_aggregator.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mer::nn {
namespace {

// Three segments: row 0 belongs to another track, rows 1-2 to ours.
SegmentOutputs ThreeSegments() {
  SegmentOutputs out;
  out.num_segments = 3;
  out.num_classes = 4;
  out.embedding_dim = 2;
  out.probs = {1,    0,    0,    0,     //
               0.6f, 0.2f, 0.1f, 0.1f,  //
               0.2f, 0.4f, 0.3f, 0.1f};
  out.va = {0.9f, 0.9f, 0.5f, -0.2f, 0.1f, 0.4f};
  out.embeddings = {5, 5, 3, 0, 3, 8};
  return out;
}

TEST(TrackAggregatorTest, MeansSpreadAndNormalisedEmbedding) {
  auto p = AggregateSegments(ThreeSegments(), 1, 2, {0.0f, 1.5f});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->num_segments, 2);
  EXPECT_NEAR(p->quadrant_probs[0], 0.4f, 1e-6);
  EXPECT_NEAR(p->quadrant_probs[1], 0.3f, 1e-6);
  EXPECT_EQ(p->quadrant, 0);
  EXPECT_NEAR(p->valence, 0.3f, 1e-6);
  EXPECT_NEAR(p->arousal, 0.1f, 1e-6);
  EXPECT_NEAR(p->valence_std, 0.2f, 1e-6);  // population std of 0.5, 0.1
  EXPECT_NEAR(p->arousal_std, 0.3f, 1e-6);  // of -0.2, 0.4
  // Mean embedding (3, 4) -> (0.6, 0.8).
  ASSERT_EQ(p->embedding.size(), 2u);
  EXPECT_NEAR(p->embedding[0], 0.6f, 1e-6);
  EXPECT_NEAR(p->embedding[1], 0.8f, 1e-6);
  ASSERT_EQ(p->timeline.size(), 2u);
  EXPECT_EQ(p->timeline[1].start_seconds, 1.5f);
  EXPECT_NEAR(p->timeline[1].valence, 0.1f, 1e-6);
  EXPECT_NEAR(p->timeline[1].arousal, 0.4f, 1e-6);
}

TEST(TrackAggregatorTest, SingleSegmentHasNoSpread) {
  auto p = AggregateSegments(ThreeSegments(), 0, 1, {0.0f});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->valence_std, 0.0f);
  EXPECT_NEAR(p->embedding[0], std::sqrt(0.5f), 1e-6);
}

TEST(TrackAggregatorTest, RefusesBadRanges) {
  EXPECT_FALSE(AggregateSegments(ThreeSegments(), 2, 2, {0, 1}).ok());
  EXPECT_FALSE(AggregateSegments(ThreeSegments(), 0, 0, {}).ok());
  EXPECT_FALSE(AggregateSegments(ThreeSegments(), 0, 2, {0}).ok());
}

}  // namespace
}  // namespace mer::nn
