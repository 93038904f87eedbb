// common/core/host.h: the machine's name and the "where each rank runs"
// line of mer index and mer train.
#include "common/core/host.h"

#include <gtest/gtest.h>

namespace mer::core {
namespace {

TEST(HostTest, HostNameIsNeverEmpty) { EXPECT_FALSE(HostName().empty()); }

TEST(HostTest, HostSummaryGroupsRanksByHostInOrderOfFirstRank) {
  EXPECT_EQ(HostSummary({"h1", "h1", "h2"}), "h1 (ranks 0-1), h2 (rank 2)");
  EXPECT_EQ(HostSummary({"b", "a", "b", "b"}, /*first_rank=*/1),
            "b (ranks 1, 3, 4), a (rank 2)");
  EXPECT_EQ(HostSummary({"only"}), "only (rank 0)");
  EXPECT_EQ(HostSummary({}), "");
}

}  // namespace
}  // namespace mer::core
