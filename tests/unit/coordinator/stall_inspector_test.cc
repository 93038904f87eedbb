#include "coordinator/stall_inspector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mer::coordinator {
namespace {

using Clock = StallInspector::Clock;
using std::chrono::milliseconds;

struct Log {
  std::vector<std::string> lines;
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& l) { lines.push_back(l); };
  }
};

size_t Holds(int w) { return static_cast<size_t>(10 + w); }

StallOptions Opts(double warn, double abort) {
  StallOptions o;
  o.warn_seconds = warn;
  o.abort_seconds = abort;
  EXPECT_TRUE(o.Validate().ok());
  return o;
}

TEST(StallOptionsTest, Validate) {
  EXPECT_TRUE(StallOptions{}.Validate().ok());
  EXPECT_TRUE(Opts(4, 0).Validate().ok());  // never abort
  StallOptions o;
  o.warn_seconds = 0;
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = {};
  o.abort_seconds = -1;
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = {};
  o.warn_seconds = 20;
  o.abort_seconds = 10;
  EXPECT_NE(o.Validate().message().find("--stall-warn"), std::string::npos);
}

TEST(StallInspectorTest, WarnsOnceThenAbortsNamingRankAndHost) {
  const Clock::time_point t0{};
  StallInspector s(3, Opts(4, 10), t0);
  s.SetHost(0, "h1");
  s.SetHost(1, "h1");
  s.SetHost(2, "h2");
  Log log;
  for (int ms = 0; ms <= 9500; ms += 500) {
    const auto now = t0 + milliseconds(ms);
    s.Heard(0, now);  // workers 0 and 1 keep their heartbeats
    s.Heard(1, now);
    ASSERT_TRUE(s.Check(now, Holds, log.sink()).ok()) << ms;
  }
  ASSERT_EQ(log.lines.size(), 1u);  // one warning per silence
  EXPECT_NE(log.lines[0].find("rank 3 on h2 silent for 4 s"),
            std::string::npos)
      << log.lines[0];
  EXPECT_NE(log.lines[0].find("holding 12 tracks"), std::string::npos);
  const core::Status lost =
      s.Check(t0 + milliseconds(10000), Holds, log.sink());
  ASSERT_TRUE(lost.IsAborted());
  EXPECT_NE(lost.message().find("rank 3 on h2"), std::string::npos);
  EXPECT_NE(lost.message().find("run the same command again"),
            std::string::npos)
      << lost.message();
}

TEST(StallInspectorTest, AHeartbeatEndsTheSilence) {
  const Clock::time_point t0{};
  StallInspector s(1, Opts(2, 5), t0);
  Log log;
  for (int ms = 0; ms <= 20000; ms += 500) {
    const auto now = t0 + milliseconds(ms);
    if (ms % 4000 == 0) s.Heard(0, now);  // every 4 s: warns, never aborts
    ASSERT_TRUE(s.Check(now, Holds, log.sink()).ok()) << ms;
  }
  EXPECT_EQ(log.lines.size(), 5u);  // one per gap
}

TEST(StallInspectorTest, FinishedWorkersAndZeroAbortAreNotAborted) {
  const Clock::time_point t0{};
  StallInspector s(2, Opts(1, 0), t0);
  s.Finished(0);
  Log log;
  for (int ms = 0; ms <= 60000; ms += 1000) {
    ASSERT_TRUE(s.Check(t0 + milliseconds(ms), Holds, log.sink()).ok());
  }
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_NE(log.lines[0].find("rank 2 on ?"), std::string::npos);
}

TEST(StallInspectorTest, TheCoordinatorsOwnAbsenceIsForgiven) {
  const Clock::time_point t0{};
  StallInspector s(1, Opts(4, 10), t0);
  Log log;
  ASSERT_TRUE(s.Check(t0 + milliseconds(1000), Holds, log.sink()).ok());
  // The coordinator was busy for 30 s: nobody could be heard meanwhile.
  ASSERT_TRUE(s.Check(t0 + milliseconds(31000), Holds, log.sink()).ok());
  EXPECT_TRUE(log.lines.empty());
  // From then on the silence counts again.
  for (int ms = 31500; ms <= 39500; ms += 500) {
    ASSERT_TRUE(s.Check(t0 + milliseconds(ms), Holds, log.sink()).ok()) << ms;
  }
  EXPECT_EQ(log.lines.size(), 1u);
  EXPECT_TRUE(s.Check(t0 + milliseconds(40500), Holds, log.sink()).IsAborted());
}

TEST(StallInspectorTest, HostSummaryGroupsRanksByHost) {
  StallInspector s(4, StallOptions{}, Clock::time_point{});
  EXPECT_FALSE(s.AllHostsKnown());
  s.SetHost(0, "a");
  s.SetHost(1, "a");
  s.SetHost(2, "b");
  s.SetHost(3, "a");
  EXPECT_TRUE(s.AllHostsKnown());
  EXPECT_EQ(s.HostSummary(), "a (ranks 1, 2, 4), b (rank 3)");
  EXPECT_EQ(s.Name(2), "rank 3 on b");
}

}  // namespace
}  // namespace mer::coordinator
