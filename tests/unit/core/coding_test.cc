// Fixed-width coding: the byte order is what the file formats document
// (little-endian; big-endian inside sortable keys) and every value comes
// back.
#include "common/core/coding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace mer::core {
namespace {

TEST(CodingTest, FixedWidthIntegersAreLittleEndian) {
  std::string two;
  PutFixed16(&two, 0x0201);
  EXPECT_EQ(two, std::string("\x01\x02", 2));
  EXPECT_EQ(DecodeFixed16(two.data()), 0x0201);
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  EXPECT_EQ(
      s, std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  EXPECT_EQ(DecodeFixed32(s.data()), 0x04030201u);
  EXPECT_EQ(DecodeFixed64(s.data() + 4), 0x0807060504030201ull);
  for (uint64_t v :
       {0ull, 1ull, 255ull, 256ull, ~0ull, 0x8000000000000000ull}) {
    char b[8];
    EncodeFixed64(b, v);
    EXPECT_EQ(DecodeFixed64(b), v);
    EncodeFixed32(b, static_cast<uint32_t>(v));
    EXPECT_EQ(DecodeFixed32(b), static_cast<uint32_t>(v));
  }
}

TEST(CodingTest, FloatsRoundTripBitForBit) {
  const std::vector<float> v = {0.0f,
                                -0.0f,
                                1.5f,
                                -3.25e-20f,
                                std::numeric_limits<float>::max(),
                                std::numeric_limits<float>::denorm_min(),
                                std::numeric_limits<float>::infinity()};
  std::string s;
  PutFloats(&s, v);
  ASSERT_EQ(s.size(), v.size() * 4);
  const std::vector<float> back = DecodeFloats(s.data(), v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(std::signbit(back[i]), std::signbit(v[i]));
    EXPECT_EQ(back[i], v[i]);
    EXPECT_EQ(DecodeFloat(s.data() + 4 * i), v[i]);
  }
  std::string one;
  PutFloat(&one, 1.0f);  // 0x3f800000
  EXPECT_EQ(one, std::string("\x00\x00\x80\x3f", 4));
}

TEST(CodingTest, BigEndianSortsBytewiseLikeTheNumber) {
  std::string a, b;
  PutBigEndian32(&a, 0x00FF0000u);
  PutBigEndian32(&b, 0x01000000u);
  EXPECT_LT(a, b);
  EXPECT_EQ(a, std::string("\x00\xff\x00\x00", 4));
  EXPECT_EQ(DecodeBigEndian32(b.data()), 0x01000000u);
}

}  // namespace
}  // namespace mer::core
