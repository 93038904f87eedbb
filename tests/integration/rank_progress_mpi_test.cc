// RankProgress under mpirun -np 3 (and as a singleton): rank 0's progress
// line counts every rank's tracks, and a rank that returns early (no
// Finish, no final counts) still lets rank 0 finish with what it reported.
#include <gtest/gtest.h>

#include <string>

#include "common/comm/communicator.h"
#include "worker/rank_progress.h"

namespace mer::worker {
namespace {

TEST(RankProgressTest, RankZerosLineCountsEveryRanksTracks) {
  comm::Communicator world = comm::Communicator::DuplicateWorld();
  const int n = world.size(), r = world.rank();
  // Rank r does r + 1 tracks; rank 1 fails one more.
  int64_t total = 0;
  for (int k = 0; k < n; ++k) total += k + 1 + (k == 1 ? 1 : 0);
  FeatureCounts mine;
  mine.done = r + 1;
  mine.failed = r == 1 ? 1 : 0;
  mine.audio_seconds = 30.0 * (r + 1);
  if (r == 0) testing::internal::CaptureStderr();
  {
    RankProgress progress(world, total, "extract", /*enabled=*/true);
    auto on_counts = progress.Callback();
    FeatureCounts half = mine;
    half.done = 0;
    on_counts(half, false);
    if (r == 2) {
      // An early return: the counts so far, then the destructor.
      on_counts(mine, false);
    } else {
      on_counts(mine, true);
      progress.Finish();
    }
  }
  if (r == 0) {
    const std::string err = testing::internal::GetCapturedStderr();
    const std::string want =
        "extract: " + std::to_string(total) + "/" + std::to_string(total) +
        " (100%) tracks, " + std::to_string(n > 1 ? 1 : 0) + " failed";
    EXPECT_NE(err.find(want), std::string::npos) << err;
  }
  world.Barrier();
}

TEST(RankProgressTest, DisabledSendsAndPrintsNothing) {
  comm::Communicator world = comm::Communicator::DuplicateWorld();
  if (world.rank() == 0) testing::internal::CaptureStderr();
  {
    RankProgress progress(world, 10, "extract", /*enabled=*/false);
    FeatureCounts c;
    c.done = 3;
    progress.OnCounts(c, true);
  }
  if (world.rank() == 0) {
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  }
  // Nothing was posted: no progress message waits anywhere.
  EXPECT_FALSE(
      world.IProbe(comm::kAnySource, comm::MessageTag::kProgress).has_value());
  world.Barrier();
}

}  // namespace
}  // namespace mer::worker
