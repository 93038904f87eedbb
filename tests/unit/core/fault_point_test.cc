// The fault seam: nothing happens without a handler; an installed handler
// sees every point with its count.
#include "common/core/fault_point.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mer::core {
namespace {

std::vector<std::string> g_seen;

void Record(const char* point, uint64_t count) {
  g_seen.push_back(std::string(point) + ":" + std::to_string(count));
}

TEST(FaultPointTest, HandlerSeesEveryPointOnlyWhileInstalled) {
  g_seen.clear();
  FaultPoint("index.written", 1);  // no handler: nothing
  SetFaultHandler(Record);
  FaultPoint("index.written", 2);
  FaultPoint("other", 7);
  SetFaultHandler(nullptr);
  FaultPoint("index.written", 3);
  EXPECT_EQ(g_seen, (std::vector<std::string>{"index.written:2", "other:7"}));
}

}  // namespace
}  // namespace mer::core
