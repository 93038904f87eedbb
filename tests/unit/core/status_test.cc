#include "common/core/status.h"

#include <gtest/gtest.h>

#include "common/core/result.h"

namespace mer::core {
namespace {

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, TwoPartMessage) {
  Status s = Status::IOError("song.mp3", "Permission denied");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), "song.mp3: Permission denied");
  EXPECT_EQ(s.ToString(), "IO error: song.mp3: Permission denied");
  EXPECT_STREQ(Status::CodeName(s.code()), "io_error");
}

TEST(StatusTest, WithContextPrefixes) {
  Status s = Status::NotFound("x").WithContext("track 7");
  EXPECT_EQ(s.message(), "track 7: x");
  EXPECT_TRUE(Status::Ok().WithContext("c").ok());
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd", std::to_string(x));
  return x / 2;
}

Status Quarter(int x, int* out) {
  MER_ASSIGN_OR_RETURN(int h, Half(x));
  MER_ASSIGN_OR_RETURN(*out, Half(h));
  return Status::Ok();
}

TEST(ResultTest, ValueOrStatus) {
  auto r = Half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4);
  auto bad = Half(3);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "odd: 3");
  int q = 0;
  EXPECT_TRUE(Quarter(8, &q).ok());
  EXPECT_EQ(q, 2);
  EXPECT_EQ(Quarter(6, &q).message(), "odd: 3");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  EXPECT_DEATH({ (void)*Half(1); }, "check failed");
}

}  // namespace
}  // namespace mer::core
