// Key encodings of the secondary column families.
#include "storage/index_keys.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

namespace mer::storage::keys {
namespace {

TEST(IndexKeysTest, MortonRoundTripsAndInterleaves) {
  std::mt19937 rng(1);
  for (int i = 0; i < 10000; ++i) {
    uint16_t x = rng(), y = rng(), dx, dy;
    DecodeMorton(Morton(x, y), &dx, &dy);
    ASSERT_EQ(dx, x);
    ASSERT_EQ(dy, y);
  }
  EXPECT_EQ(Morton(1, 0), 1u);
  EXPECT_EQ(Morton(0, 1), 2u);
  EXPECT_EQ(Morton(0xFFFF, 0xFFFF), 0xFFFFFFFFu);
}

TEST(IndexKeysTest, QuantiseIsMonotoneAndCoversTheRange) {
  EXPECT_EQ(Quantise(-1.0), 0);
  EXPECT_EQ(Quantise(1.0), kQuantMax);
  EXPECT_EQ(Quantise(-7.0), 0);
  EXPECT_EQ(Quantise(3.0), kQuantMax);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(-1.2f, 1.2f);
  for (int i = 0; i < 100000; ++i) {
    float a = u(rng), b = u(rng);
    if (a > b) std::swap(a, b);
    ASSERT_LE(Quantise(a), Quantise(b)) << a << " " << b;
  }
  for (int q = 0; q <= static_cast<int>(kQuantMax); q += 97) {
    EXPECT_EQ(Quantise(Dequantise(q)), q);
  }
}

TEST(IndexKeysTest, OrderedBitsPreserveFloatOrder) {
  std::vector<float> xs = {-std::numeric_limits<float>::max(),
                           -1.5f,
                           -1e-30f,
                           -0.0f,
                           0.0f,
                           1e-30f,
                           0.25f,
                           0.5f,
                           1.0f,
                           std::numeric_limits<float>::max()};
  for (size_t i = 0; i + 1 < xs.size(); ++i) {
    EXPECT_LT(OrderedBits(xs[i]), OrderedBits(xs[i + 1])) << xs[i];
  }
  for (float x : xs) {
    EXPECT_EQ(std::bit_cast<uint32_t>(FromOrderedBits(OrderedBits(x))),
              std::bit_cast<uint32_t>(x));
  }
}

TEST(IndexKeysTest, QuadrantKeysSortByConfidenceDescendingThenId) {
  std::string hi = QuadrantKey(core::Quadrant::kSad, 0.9f, "b");
  std::string lo = QuadrantKey(core::Quadrant::kSad, 0.3f, "a");
  std::string tie = QuadrantKey(core::Quadrant::kSad, 0.9f, "c");
  EXPECT_LT(hi, lo);
  EXPECT_LT(hi, tie);
  EXPECT_LT(QuadrantKey(core::Quadrant::kTense, 0.1f, "z"), hi);
  auto parts = ParseQuadrantKey(hi);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->quadrant, core::Quadrant::kSad);
  EXPECT_EQ(parts->confidence, 0.9f);
  EXPECT_EQ(parts->track_id, "b");
  auto tag = ParseTagKey(TagKey("jazz", -0.5f, "id\x01x"));
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(tag->tag, "jazz");
  EXPECT_EQ(tag->score, -0.5f);
  EXPECT_EQ(tag->track_id, "id\x01x");
  HitValue v{0.1f, -0.2f, 0.7f, core::Quadrant::kCalm};
  EXPECT_EQ(DecodeHitValue(EncodeHitValue(v)), v);
  EXPECT_FALSE(DecodeHitValue("short").has_value());
}

// BIGMIN against brute force on a small grid (coordinates < 64, so Z < 4096).
TEST(IndexKeysTest, BigMinIsTheNextZInTheBox) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    uint16_t x0 = rng() % 64, x1 = rng() % 64, y0 = rng() % 64, y1 = rng() % 64;
    if (x0 > x1) std::swap(x0, x1);
    if (y0 > y1) std::swap(y0, y1);
    uint32_t zmin = Morton(x0, y0), zmax = Morton(x1, y1);
    auto in_box = [&](uint32_t z) {
      uint16_t x, y;
      DecodeMorton(z, &x, &y);
      return x >= x0 && x <= x1 && y >= y0 && y <= y1;
    };
    for (uint32_t z = zmin; z < zmax; ++z) {
      if (in_box(z)) continue;
      uint32_t want = z + 1;
      while (!in_box(want)) ++want;
      ASSERT_EQ(BigMin(z, zmin, zmax), want)
          << "box x[" << x0 << "," << x1 << "] y[" << y0 << "," << y1
          << "] z=" << z;
    }
  }
}

}  // namespace
}  // namespace mer::storage::keys
