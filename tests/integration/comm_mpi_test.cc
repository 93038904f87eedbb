// mer_comm over real MPI (mpirun -np 2 and 3, and a singleton run).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <numeric>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/comm/communicator.h"
#include "common/comm/gradient_reducer.h"
#include "tests/integration/mpi_gtest_main.h"

namespace mer::comm {
namespace {

using mpitest::Mpi;

TEST(MpiEnvironmentTest, ShapeAgreesWithTheCommunicator) {
  const MpiEnvironment& env = Mpi();
  Communicator world = Communicator::DuplicateWorld();
  EXPECT_EQ(world.rank(), env.rank());
  EXPECT_EQ(world.size(), env.size());
  EXPECT_GE(env.thread_level(), MPI_THREAD_FUNNELED);
  EXPECT_TRUE(env.owns_mpi());
  EXPECT_FALSE(env.processor_name().empty());
  // All ranks of these tests share one machine.
  EXPECT_EQ(env.local_size(), env.size());
  EXPECT_EQ(env.local_rank(), env.rank());
  std::vector<int64_t> ranks = world.AllgatherInt64(env.rank());
  std::vector<int64_t> expected(env.size());
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(ranks, expected);
  std::vector<int64_t> local = world.AllgatherInt64(env.local_rank());
  EXPECT_EQ(local, expected);
}

// A payload whose bytes depend on the sender and the index.
std::string Payload(int rank, size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>((i * 31 + rank * 7) & 0xff);
  }
  return s;
}

TEST(CommunicatorTest, SendRecvFromAnySource) {
  Communicator world = Communicator::DuplicateWorld();
  if (world.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  // Sizes from tiny to above the eager limit (rendezvous protocol).
  auto size_of = [](int rank) { return size_t(rank) * 300'007 - 290'000; };
  if (world.rank() == 0) {
    std::set<int> seen;
    for (int i = 1; i < world.size(); ++i) {
      ReceivedMessage m = world.RecvBytes(kAnySource, MessageTag::kTest);
      EXPECT_EQ(m.tag, MessageTag::kTest);
      EXPECT_TRUE(seen.insert(m.source).second) << "twice from " << m.source;
      EXPECT_EQ(m.bytes, Payload(m.source, size_of(m.source)));
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(world.size() - 1));
    for (int r = 1; r < world.size(); ++r) {
      ASSERT_TRUE(
          world.SendBytes(r, MessageTag::kControl, "ack " + std::to_string(r))
              .ok());
    }
  } else {
    ASSERT_TRUE(world
                    .SendBytes(0, MessageTag::kTest,
                               Payload(world.rank(), size_of(world.rank())))
                    .ok());
    ReceivedMessage m = world.RecvBytes(0, std::nullopt);
    EXPECT_EQ(m.source, 0);
    EXPECT_EQ(m.tag, MessageTag::kControl);
    EXPECT_EQ(m.bytes, "ack " + std::to_string(world.rank()));
  }
  world.Barrier();
}

TEST(CommunicatorTest, IProbeSeesAWaitingMessage) {
  Communicator world = Communicator::DuplicateWorld();
  if (world.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  const int last = world.size() - 1;
  if (world.rank() == 0) {
    EXPECT_FALSE(world.IProbe(kAnySource, MessageTag::kWorkerDone));
  }
  world.Barrier();
  if (world.rank() == last) {
    ASSERT_TRUE(world.SendBytes(0, MessageTag::kWorkerDone, "12345").ok());
  }
  if (world.rank() == 0) {
    // The message was sent; poll until it has arrived (no timing assumed).
    std::optional<ProbeResult> p;
    while (!(p = world.IProbe(kAnySource, std::nullopt))) {
    }
    EXPECT_EQ(p->source, last);
    EXPECT_EQ(p->tag, MessageTag::kWorkerDone);
    EXPECT_EQ(p->size, 5u);
    ReceivedMessage m = world.RecvBytes(last, MessageTag::kWorkerDone);
    EXPECT_EQ(m.bytes, "12345");
    EXPECT_FALSE(world.IProbe(kAnySource, std::nullopt));
  }
  world.Barrier();
}

TEST(CommunicatorTest, PostSendLetsTwoRanksSendLargeMessagesAtOnce) {
  Communicator world = Communicator::DuplicateWorld();
  if (world.size() < 2) GTEST_SKIP() << "needs at least 2 ranks";
  // Rank 0 and 1 send 2 MiB to each other before receiving: with two
  // blocking sends (rendezvous) this would deadlock; PostSend does not block.
  if (world.rank() <= 1) {
    const int peer = 1 - world.rank();
    const std::string mine = Payload(world.rank(), 2 << 20);
    if (world.rank() == 0) {
      ASSERT_TRUE(world.PostSend(peer, MessageTag::kControl, mine).ok());
    } else {
      ASSERT_TRUE(world.SendBytes(peer, MessageTag::kControl, mine).ok());
    }
    ReceivedMessage m = world.RecvBytes(peer, MessageTag::kControl);
    EXPECT_EQ(m.bytes, Payload(peer, 2 << 20));
    world.FlushSends();
    EXPECT_EQ(world.PollSends(), 0u);
  }
  world.Barrier();
}

TEST(CommunicatorTest, SendRejectsABadRank) {
  Communicator world = Communicator::DuplicateWorld();
  EXPECT_TRUE(world.SendBytes(world.size(), MessageTag::kTest, "x")
                  .IsInvalidArgument());
  EXPECT_TRUE(world.SendBytes(-1, MessageTag::kTest, "x").IsInvalidArgument());
  EXPECT_TRUE(
      world.PostSend(world.size(), MessageTag::kTest, "x").IsInvalidArgument());
  EXPECT_EQ(world.PollSends(), 0u);
}

TEST(CommunicatorTest, BroadcastBytes) {
  Communicator world = Communicator::DuplicateWorld();
  const int root = world.size() - 1;
  std::string data = world.rank() == root ? Payload(root, 3'000'001)
                                          : std::string("stale content");
  world.BroadcastBytes(root, &data);
  EXPECT_EQ(data, Payload(root, 3'000'001));
  std::string empty = world.rank() == 0 ? "" : "stale";
  world.BroadcastBytes(0, &empty);
  EXPECT_TRUE(empty.empty());
}

TEST(CommunicatorTest, AllreduceSumAndAllgather) {
  Communicator world = Communicator::DuplicateWorld();
  const int n = world.size();
  const int64_t rank_sum = int64_t{n} * (n + 1) / 2;  // sum of rank + 1
  std::vector<float> f(1001);
  std::vector<double> d(17);
  std::vector<int64_t> i64(5);
  for (size_t i = 0; i < f.size(); ++i) f[i] = float(world.rank() + 1) * i;
  for (size_t i = 0; i < d.size(); ++i) d[i] = (world.rank() + 1) * 0.5 * i;
  for (size_t i = 0; i < i64.size(); ++i) {
    i64[i] = (int64_t{world.rank()} + 1) << 40;
  }
  world.AllreduceSum(f.data(), f.size());
  world.AllreduceSum(d.data(), d.size());
  world.AllreduceSum(i64.data(), i64.size());
  for (size_t i = 0; i < f.size(); ++i) {
    ASSERT_EQ(f[i], float(rank_sum * i)) << i;
  }
  for (size_t i = 0; i < d.size(); ++i) ASSERT_EQ(d[i], rank_sum * 0.5 * i);
  for (int64_t v : i64) ASSERT_EQ(v, rank_sum << 40);
  std::vector<int64_t> squares = world.AllgatherInt64(
      int64_t{world.rank()} * world.rank() * 1'000'000'007LL);
  ASSERT_EQ(squares.size(), static_cast<size_t>(n));
  for (int r = 0; r < n; ++r) {
    EXPECT_EQ(squares[r], int64_t{r} * r * 1'000'000'007LL);
  }
}

// Rank r's value of element i of buffer b: integers, so every sum is exact.
float GradValue(int rank, size_t b, size_t i) {
  return float((rank + 1) * int((i * 7 + b * 3) % 101) - 50);
}

void CheckAverage(size_t bucket_bytes, const std::vector<size_t>& sizes,
                  size_t expected_buckets) {
  Communicator world = Communicator::DuplicateWorld();
  MpiGradientReducerOptions options;
  options.bucket_bytes = bucket_bytes;
  ASSERT_TRUE(options.Validate().ok());
  MpiGradientReducer reducer(&world, options);

  std::vector<std::vector<float>> grads(sizes.size());
  std::vector<std::span<float>> spans;
  for (size_t b = 0; b < sizes.size(); ++b) {
    grads[b].resize(sizes[b]);
    for (size_t i = 0; i < sizes[b]; ++i) {
      grads[b][i] = GradValue(world.rank(), b, i);
    }
    spans.emplace_back(grads[b]);
  }
  // Twice: the second call reuses the buckets of the first.
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      for (size_t b = 0; b < sizes.size(); ++b) {
        for (size_t i = 0; i < sizes[b]; ++i) {
          grads[b][i] = GradValue(world.rank(), b, i);
        }
      }
    }
    ASSERT_TRUE(reducer.AverageInPlace(spans).ok());
    EXPECT_EQ(reducer.last_bucket_count(),
              world.size() == 1 ? 0u : expected_buckets);
    for (size_t b = 0; b < sizes.size(); ++b) {
      for (size_t i = 0; i < sizes[b]; ++i) {
        float sum = 0;
        for (int r = 0; r < world.size(); ++r) sum += GradValue(r, b, i);
        const float mean = sum / float(world.size());
        ASSERT_EQ(grads[b][i], mean)
            << "buffer " << b << " element " << i << " round " << round;
      }
    }
  }
}

TEST(MpiGradientReducerTest, OddSizesAcrossTinyBuckets) {
  // 10-float buckets: buffers start and end mid-bucket and span several.
  const std::vector<size_t> sizes = {1, 7, 1000, 3, 0, 513, 64, 2};
  const size_t total = std::accumulate(sizes.begin(), sizes.end(), size_t{0});
  CheckAverage(40, sizes, (total + 9) / 10);
}

TEST(MpiGradientReducerTest, OneFloatBuckets) { CheckAverage(4, {3, 1, 5}, 9); }

TEST(MpiGradientReducerTest, DefaultBucketHoldsAModel) {
  // 3.3 M floats (~13 MiB) fit in one 25 MiB bucket; 7.5 M need two.
  CheckAverage(MpiGradientReducerOptions{}.bucket_bytes, {3'000'000, 300'001},
               1);
  CheckAverage(MpiGradientReducerOptions{}.bucket_bytes, {5'000'000, 2'500'000},
               2);
}

TEST(MpiGradientReducerTest, EmptyListIsANoOp) {
  Communicator world = Communicator::DuplicateWorld();
  MpiGradientReducer reducer(&world, {});
  EXPECT_TRUE(reducer.AverageInPlace({}).ok());
  EXPECT_EQ(reducer.last_bucket_count(), 0u);
}

}  // namespace
}  // namespace mer::comm
