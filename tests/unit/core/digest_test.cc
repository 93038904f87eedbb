#include "common/core/digest.h"

#include <gtest/gtest.h>

namespace mer::core {
namespace {

// Published FNV-1a 64 test vectors.
TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(DigestHex(""), "cbf29ce484222325");
  EXPECT_EQ(DigestHex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(DigestHex("foobar"), "85944171f73967e8");
}

TEST(DigestTest, IncrementalEqualsWhole) {
  EXPECT_EQ(Digest64().Update("foo").Update("bar").Hex(), DigestHex("foobar"));
}

}  // namespace
}  // namespace mer::core
