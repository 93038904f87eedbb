#include "coordinator/work_scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace mer::coordinator {
namespace {

// Generates items on the fly and counts Next() calls, so tests can assert
// that the scheduler pulls lazily.
class CountingSource : public WorkSource {
 public:
  explicit CountingSource(uint64_t n) : n_(n) {}
  std::optional<WorkItem> Next() override {
    ++calls_;
    if (next_ >= n_) return std::nullopt;
    const uint64_t i = next_++;
    return WorkItem{"t" + std::to_string(i), "/m/" + std::to_string(i) + ".mp3",
                    i};
  }
  uint64_t calls() const { return calls_; }

 private:
  uint64_t n_;
  uint64_t next_ = 0;
  uint64_t calls_ = 0;
};

WorkSchedulerOptions Opts(size_t chunk, size_t prefetch) {
  WorkSchedulerOptions o;
  o.chunk_size = chunk;
  o.prefetch_chunks = prefetch;
  EXPECT_TRUE(o.Validate().ok());
  return o;
}

std::vector<std::string> Ids(const std::vector<WorkItem>& items) {
  std::vector<std::string> ids;
  for (const auto& i : items) ids.push_back(i.track_id);
  return ids;
}

TEST(WorkSchedulerOptionsTest, Validate) {
  EXPECT_TRUE(WorkSchedulerOptions{}.Validate().ok());
  EXPECT_TRUE(Opts(1, 1).Validate().ok());
  WorkSchedulerOptions o;
  o.chunk_size = 0;
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = {};
  o.prefetch_chunks = 0;
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
}

TEST(WorkSchedulerTest, HandsOutWholeChunksUpToPrefetchDepth) {
  CountingSource source(100);
  WorkScheduler s(&source, 1, Opts(10, 2));
  ASSERT_TRUE(s.OnRequest(0, 50).ok());  // capped at one chunk
  auto r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].worker, 0);
  EXPECT_FALSE(r[0].no_more_work);
  EXPECT_EQ(Ids(r[0].items).front(), "t0");
  EXPECT_EQ(r[0].items.size(), 10u);
  ASSERT_TRUE(s.OnRequest(0, 10).ok());  // the prefetched second chunk
  r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].items.front().track_id, "t10");
  EXPECT_EQ(s.in_flight(0), 20u);
  // Full: the third request waits until a whole chunk of room is free.
  ASSERT_TRUE(s.OnRequest(0, 10).ok());
  EXPECT_TRUE(s.TakeReplies().empty());
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(s.OnResult(0, "t" + std::to_string(i)).ok());
    EXPECT_TRUE(s.TakeReplies().empty()) << "after " << i + 1 << " results";
  }
  ASSERT_TRUE(s.OnResult(0, "t9").ok());
  r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].items.size(), 10u);
  EXPECT_EQ(r[0].items.front().track_id, "t20");
  // A smaller capacity gives a smaller chunk.
  for (int i = 10; i < 20; ++i) {
    ASSERT_TRUE(s.OnResult(0, "t" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(s.OnRequest(0, 3).ok());
  r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Ids(r[0].items), (std::vector<std::string>{"t30", "t31", "t32"}));
}

TEST(WorkSchedulerTest, TailChunksShrinkThenNoMoreWork) {
  CountingSource source(5);
  WorkScheduler s(&source, 1, Opts(4, 2));
  ASSERT_TRUE(s.OnRequest(0, 8).ok());
  auto r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  // Five left, one worker, two chunks each: ceil(5 / 2) = 3.
  EXPECT_EQ(Ids(r[0].items), (std::vector<std::string>{"t0", "t1", "t2"}));
  EXPECT_EQ(s.CurrentChunk(), 1u);
  // Holding three one-item chunks is more than two: the request waits.
  ASSERT_TRUE(s.OnRequest(0, 5).ok());
  EXPECT_TRUE(s.TakeReplies().empty());
  ASSERT_TRUE(s.OnResult(0, "t0").ok());
  EXPECT_TRUE(s.TakeReplies().empty());
  ASSERT_TRUE(s.OnResult(0, "t1").ok());
  r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Ids(r[0].items), (std::vector<std::string>{"t3"}));
  ASSERT_TRUE(s.OnRequest(0, 6).ok());
  EXPECT_TRUE(s.TakeReplies().empty());
  ASSERT_TRUE(s.OnResult(0, "t2").ok());
  r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Ids(r[0].items), (std::vector<std::string>{"t4"}));
  EXPECT_FALSE(s.Done());  // two items still in flight
  ASSERT_TRUE(s.OnRequest(0, 6).ok());
  r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].no_more_work);  // only this worker holds items
  EXPECT_TRUE(r[0].items.empty());
  ASSERT_TRUE(s.OnResult(0, "t3").ok());
  EXPECT_FALSE(s.Done());
  ASSERT_TRUE(s.OnResult(0, "t4").ok());
  EXPECT_TRUE(s.Done());
  EXPECT_EQ(s.completed(), 5u);
  // Asking again after kNoMoreWork is answered the same way.
  ASSERT_TRUE(s.OnRequest(0, 4).ok());
  r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].no_more_work);
}

TEST(WorkSchedulerTest, NoMoreWorkWaitsWhileOthersHoldItems) {
  CountingSource source(3);
  WorkScheduler s(&source, 2, Opts(4, 1));
  ASSERT_TRUE(s.OnRequest(0, 4).ok());
  ASSERT_EQ(s.TakeReplies().at(0).items.size(), 2u);  // ceil(3 / 2)
  ASSERT_TRUE(s.OnRequest(1, 4).ok());
  ASSERT_EQ(s.TakeReplies().at(0).items.size(), 1u);
  ASSERT_TRUE(s.OnResult(1, "t2").ok());
  // Worker 1 finds nothing, but worker 0 might still be lost: it waits.
  ASSERT_TRUE(s.OnRequest(1, 4).ok());
  EXPECT_TRUE(s.TakeReplies().empty());
  ASSERT_TRUE(s.OnResult(0, "t0").ok());
  EXPECT_TRUE(s.TakeReplies().empty());
  ASSERT_TRUE(s.OnResult(0, "t1").ok());
  auto r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].worker, 1);
  EXPECT_TRUE(r[0].no_more_work);
  EXPECT_TRUE(s.Done());
}

TEST(WorkSchedulerTest, LostWorkersItemsGoToOthersFirst) {
  CountingSource source(100);
  WorkScheduler s(&source, 2, Opts(4, 1));
  ASSERT_TRUE(s.OnRequest(0, 4).ok());
  ASSERT_TRUE(s.OnRequest(1, 4).ok());
  auto r = s.TakeReplies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(Ids(r[0].items),
            (std::vector<std::string>{"t0", "t1", "t2", "t3"}));
  ASSERT_TRUE(s.OnResult(0, "t2").ok());
  for (const char* id : {"t4", "t5", "t6", "t7"}) {
    ASSERT_TRUE(s.OnResult(1, id).ok());
  }
  ASSERT_TRUE(s.OnWorkerLost(0).ok());
  EXPECT_EQ(s.requeued(), 3u);
  EXPECT_EQ(s.in_flight(), 0u);
  EXPECT_EQ(s.active_workers(), 1);
  ASSERT_TRUE(s.OnRequest(1, 4).ok());
  r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(Ids(r[0].items),
            (std::vector<std::string>{"t0", "t1", "t3", "t8"}));
  // The lost worker is out of the protocol.
  EXPECT_TRUE(s.OnResult(0, "t0").IsInvalidArgument());
  EXPECT_TRUE(s.OnRequest(0, 4).IsInvalidArgument());
  EXPECT_TRUE(s.OnWorkerLost(0).IsInvalidArgument());
}

TEST(WorkSchedulerTest, LossAfterTheSourceRanDryServesAWaitingWorker) {
  CountingSource source(2);
  WorkScheduler s(&source, 2, Opts(4, 1));
  ASSERT_TRUE(s.OnRequest(0, 4).ok());
  ASSERT_EQ(Ids(s.TakeReplies().at(0).items), std::vector<std::string>{"t0"});
  ASSERT_TRUE(s.OnRequest(1, 4).ok());
  ASSERT_EQ(Ids(s.TakeReplies().at(0).items), std::vector<std::string>{"t1"});
  ASSERT_TRUE(s.OnResult(1, "t1").ok());
  ASSERT_TRUE(s.OnRequest(1, 4).ok());  // deferred: worker 0 holds t0
  EXPECT_TRUE(s.TakeReplies().empty());
  ASSERT_TRUE(s.OnWorkerLost(0).ok());
  auto r = s.TakeReplies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].worker, 1);
  EXPECT_EQ(Ids(r[0].items), std::vector<std::string>{"t0"});
}

TEST(WorkSchedulerTest, RejectsProtocolViolations) {
  CountingSource source(10);
  WorkScheduler s(&source, 2, Opts(4, 1));
  EXPECT_TRUE(s.OnRequest(2, 4).IsInvalidArgument());
  EXPECT_TRUE(s.OnRequest(-1, 4).IsInvalidArgument());
  EXPECT_TRUE(s.OnRequest(0, 0).IsInvalidArgument());
  ASSERT_TRUE(s.OnRequest(0, 4).ok());
  ASSERT_TRUE(s.OnRequest(0, 4).ok());                 // deferred (no room)
  EXPECT_TRUE(s.OnRequest(0, 4).IsInvalidArgument());  // one outstanding
  EXPECT_TRUE(s.OnResult(1, "t0").IsNotFound());       // not its item
  ASSERT_TRUE(s.OnResult(0, "t0").ok());
  EXPECT_TRUE(s.OnResult(0, "t0").IsNotFound());  // duplicate result
}

TEST(WorkSchedulerTest, ReadsAheadAtMostOneRoundOfChunks) {
  CountingSource source(1'000'000);
  WorkScheduler s(&source, 3, Opts(8, 2));
  for (int w = 0; w < 3; ++w) {
    ASSERT_TRUE(s.OnRequest(w, 16).ok());
    ASSERT_TRUE(s.OnRequest(w, 8).ok());
  }
  auto r = s.TakeReplies();
  ASSERT_EQ(r.size(), 6u);
  for (const auto& reply : r) EXPECT_EQ(reply.items.size(), 8u);
  // 48 handed out, and the read-ahead never exceeds 3 workers x 16 items.
  EXPECT_LE(s.read_ahead(), 48u);
  EXPECT_GE(s.read_ahead(), 40u);  // topped up before each chunk
  EXPECT_EQ(s.pulled(), 48u + s.read_ahead());
  EXPECT_EQ(source.calls(), s.pulled());
}

// Two to four equal workers run a small catalogue of tracks of unequal
// length one track at a time, asking for work as the index worker does
// (below one chunk left, capacity chunk * prefetch - queue). With guided
// chunks the last worker finishes close to the first one.
TEST(WorkSchedulerTest, SmallCataloguesEndBalanced) {
  for (int num_workers : {2, 3, 4}) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      SCOPED_TRACE("workers " + std::to_string(num_workers) + " seed " +
                   std::to_string(seed));
      std::mt19937 rng(seed);
      const int num_items = 41;
      std::vector<double> cost(num_items);
      for (double& c : cost) {
        c = std::uniform_real_distribution<double>(20, 40)(rng);
      }
      CountingSource source(num_items);
      const WorkSchedulerOptions o = Opts(32, 2);
      WorkScheduler s(&source, num_workers, o);
      struct Sim {
        std::deque<WorkItem> queue;
        double clock = 0;
        bool outstanding = false, no_more = false;
      };
      std::vector<Sim> w(num_workers);
      // Replies reach their workers at time `now`; an idle worker starts
      // on them then.
      auto deliver = [&](double now) {
        for (WorkReply& r : s.TakeReplies()) {
          Sim& x = w[r.worker];
          x.outstanding = false;
          if (r.no_more_work) x.no_more = true;
          if (x.queue.empty()) x.clock = std::max(x.clock, now);
          for (auto& item : r.items) x.queue.push_back(item);
        }
      };
      auto ask = [&](int i) {
        if (!w[i].outstanding && !w[i].no_more &&
            w[i].queue.size() < o.chunk_size) {
          w[i].outstanding = true;
          ASSERT_TRUE(s.OnRequest(i, o.max_in_flight_per_worker() -
                                         w[i].queue.size())
                          .ok());
        }
      };
      for (int i = 0; i < num_workers; ++i) {
        ask(i);
        deliver(0);
      }
      for (;;) {
        // The worker with work whose clock is earliest finishes its track.
        int next = -1;
        for (int i = 0; i < num_workers; ++i) {
          if (!w[i].queue.empty() &&
              (next < 0 || w[i].clock < w[next].clock)) {
            next = i;
          }
        }
        if (next < 0) break;
        const WorkItem item = w[next].queue.front();
        w[next].queue.pop_front();
        w[next].clock += cost[item.seq];
        ASSERT_TRUE(s.OnResult(next, item.track_id).ok());
        deliver(w[next].clock);
        ask(next);
        deliver(w[next].clock);
        if (HasFatalFailure()) return;
      }
      EXPECT_TRUE(s.Done());
      double lo = 1e18, hi = 0;
      for (const Sim& x : w) {
        lo = std::min(lo, x.clock);
        hi = std::max(hi, x.clock);
      }
      EXPECT_LE(hi - lo, 0.2 * hi) << "busy " << lo << " s vs " << hi << " s";
    }
  }
}

// A simulated worker for the property test.
struct SimWorker {
  std::vector<WorkItem> queue;
  std::vector<std::string> in_transit;  // results sent, not yet received
  bool outstanding = false;
  bool told_no_more = false;
  bool done = false;
  bool lost = false;
};

TEST(WorkSchedulerTest, RandomInterleavingsHandOutEveryItemOnce) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto uniform = [&rng](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    const int num_items = uniform(0, 400);
    const int num_workers = uniform(1, 6);
    const WorkSchedulerOptions o = Opts(uniform(1, 16), uniform(1, 3));
    const bool allow_loss = seed % 3 == 0;
    CountingSource source(num_items);
    WorkScheduler s(&source, num_workers, o);
    std::vector<SimWorker> workers(num_workers);
    std::map<std::string, int> handed;     // track -> times handed out
    std::map<std::string, int> completed;  // track -> accepted results
    std::map<std::string, int> lost_held;  // track -> times held at a loss

    auto deliver = [&] {
      for (WorkReply& r : s.TakeReplies()) {
        SimWorker& w = workers[r.worker];
        ASSERT_FALSE(w.lost);
        ASSERT_TRUE(w.outstanding) << "reply without a request";
        w.outstanding = false;
        if (r.no_more_work) {
          w.told_no_more = true;
        } else {
          ASSERT_FALSE(r.items.empty());
          ASSERT_LE(r.items.size(), o.chunk_size);
          for (auto& item : r.items) {
            ++handed[item.track_id];
            w.queue.push_back(std::move(item));
          }
        }
      }
    };

    int steps = 0;
    while (true) {
      std::vector<int> live;
      for (int i = 0; i < num_workers; ++i) {
        if (!workers[i].lost && !workers[i].done) live.push_back(i);
      }
      if (live.empty()) break;
      ASSERT_LT(++steps, 100000) << "no progress";
      const int wi = live[uniform(0, static_cast<int>(live.size()) - 1)];
      SimWorker& w = workers[wi];
      const int action = uniform(0, 99);
      const int alive = static_cast<int>(
          std::count_if(workers.begin(), workers.end(),
                        [](const SimWorker& x) { return !x.lost; }));
      if (allow_loss && action < 2 && alive > 1) {
        for (const auto& item : w.queue) ++lost_held[item.track_id];
        for (const auto& id : w.in_transit) ++lost_held[id];
        w.lost = true;
        w.queue.clear();
        w.in_transit.clear();
        ASSERT_TRUE(s.OnWorkerLost(wi).ok());
      } else if (action < 40 && !w.outstanding && !w.told_no_more &&
                 w.queue.size() < o.chunk_size) {
        w.outstanding = true;
        ASSERT_TRUE(
            s.OnRequest(wi, o.max_in_flight_per_worker() - w.queue.size())
                .ok());
      } else if (action < 70 && !w.queue.empty()) {
        // Items finish in any order; their results travel for a while.
        const size_t k = uniform(0, static_cast<int>(w.queue.size()) - 1);
        w.in_transit.push_back(w.queue[k].track_id);
        w.queue.erase(w.queue.begin() + k);
      } else if (!w.in_transit.empty()) {
        const size_t k = uniform(0, static_cast<int>(w.in_transit.size()) - 1);
        const std::string id = w.in_transit[k];
        w.in_transit.erase(w.in_transit.begin() + k);
        ASSERT_TRUE(s.OnResult(wi, id).ok());
        ++completed[id];
      } else if (w.told_no_more && w.queue.empty() && w.in_transit.empty()) {
        w.done = true;  // kWorkerDone
      }
      deliver();
      if (HasFatalFailure()) return;
      // Invariants after every event.
      for (int i = 0; i < num_workers; ++i) {
        ASSERT_LE(s.in_flight(i), o.max_in_flight_per_worker());
      }
      ASSERT_EQ(s.pulled(), s.completed() + s.in_flight() + s.requeued() +
                                s.read_ahead());
      ASSERT_LE(source.calls(), s.pulled() + 1);  // +1: the final nullopt
      const bool all_done =
          std::all_of(workers.begin(), workers.end(),
                      [](const SimWorker& x) { return x.lost || x.done; });
      if (!all_done && s.completed() < static_cast<uint64_t>(num_items)) {
        ASSERT_FALSE(s.Done());
      }
    }
    EXPECT_TRUE(s.Done());
    EXPECT_EQ(s.completed(), static_cast<uint64_t>(num_items));
    ASSERT_EQ(completed.size(), static_cast<size_t>(num_items));
    for (const auto& [id, n] : completed) ASSERT_EQ(n, 1) << id;
    for (const auto& [id, n] : handed) {
      // Handed out once, plus once more for every loss that orphaned it.
      const auto it = lost_held.find(id);
      ASSERT_EQ(n, 1 + (it == lost_held.end() ? 0 : it->second)) << id;
    }
  }
}

}  // namespace
}  // namespace mer::coordinator
