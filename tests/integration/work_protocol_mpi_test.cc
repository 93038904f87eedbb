// The coordinator<->worker pull protocol (coordinator/work_scheduler.h) over
// real MPI: rank 0 schedules synthetic items, the other ranks pull chunks,
// prefetch, and stream results back.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "common/comm/communicator.h"
#include "common/comm/message_codec.h"
#include "coordinator/work_scheduler.h"
#include "tests/integration/mpi_gtest_main.h"

namespace mer {
namespace {

using comm::Communicator;
using comm::MessageCodec;
using comm::MessageTag;
using comm::WorkItem;
using comm::WorkMessage;

constexpr uint64_t kNumItems = 1000;

class SyntheticSource : public coordinator::WorkSource {
 public:
  std::optional<WorkItem> Next() override {
    if (next_ >= kNumItems) return std::nullopt;
    const uint64_t i = next_++;
    return WorkItem{"track-" + std::to_string(i),
                    "/catalogue/" + std::to_string(i) + ".mp3", i};
  }

 private:
  uint64_t next_ = 0;
};

// What a worker "computes" for an item; the coordinator checks it. 8 KiB,
// above the shared-memory eager limit, so results go by rendezvous and a
// coordinator that blocked on its own sends could deadlock.
std::string ResultFor(const WorkItem& item) {
  std::string s = "done:" + item.path;
  s.resize(8192, static_cast<char>('a' + item.seq % 26));
  return s;
}
bool Fails(const WorkItem& item) { return item.seq % 37 == 5; }

void Send(Communicator& comm, int dest, const WorkMessage& m) {
  ASSERT_TRUE(
      comm.SendBytes(dest, comm::TagOf(m), MessageCodec::Encode(m)).ok());
}

WorkMessage Receive(Communicator& comm, int source, int* from) {
  comm::ReceivedMessage raw = comm.RecvBytes(source, std::nullopt);
  core::Result<WorkMessage> m = MessageCodec::Decode(raw.bytes, raw.tag);
  MER_CHECK_MSG(m.ok(), m.status().ToString().c_str());
  if (from != nullptr) *from = raw.source;
  return std::move(m).value();
}

void RunCoordinator(Communicator& comm,
                    const coordinator::WorkSchedulerOptions& options) {
  SyntheticSource source;
  const int num_workers = comm.size() - 1;  // worker w is rank w + 1
  coordinator::WorkScheduler scheduler(&source, num_workers, options);
  std::map<std::string, int> results;
  uint64_t ok = 0, failed = 0, reported_ok = 0, reported_failed = 0;
  std::vector<uint64_t> per_worker(num_workers, 0);
  int done_workers = 0;
  while (done_workers < num_workers) {
    int from = -1;
    WorkMessage m = Receive(comm, comm::kAnySource, &from);
    const int worker = from - 1;
    if (auto* r = std::get_if<comm::RequestWork>(&m)) {
      ASSERT_TRUE(scheduler.OnRequest(worker, r->capacity).ok());
    } else if (auto* r = std::get_if<comm::TrackResult>(&m)) {
      EXPECT_EQ(r->payload,
                ResultFor(WorkItem{
                    r->track_id,
                    "/catalogue/" + std::to_string(r->seq) + ".mp3", r->seq}));
      ++results[r->track_id];
      ++ok;
      ++per_worker[worker];
      ASSERT_TRUE(scheduler.OnResult(worker, r->track_id).ok());
    } else if (auto* r = std::get_if<comm::TrackFailure>(&m)) {
      EXPECT_EQ(r->seq % 37, 5u);
      ++results[r->track_id];
      ++failed;
      ++per_worker[worker];
      ASSERT_TRUE(scheduler.OnResult(worker, r->track_id).ok());
    } else if (auto* r = std::get_if<comm::WorkerDone>(&m)) {
      reported_ok += r->tracks_ok;
      reported_failed += r->tracks_failed;
      ++done_workers;
    } else {
      FAIL() << "unexpected message " << comm::MessageTagName(comm::TagOf(m));
    }
    // The coordinator never blocks on a send (see Communicator::PostSend).
    for (coordinator::WorkReply& reply : scheduler.TakeReplies()) {
      WorkMessage out = comm::NoMoreWork{};
      if (!reply.no_more_work) {
        ASSERT_LE(reply.items.size(), options.chunk_size);
        out = comm::WorkChunk{std::move(reply.items)};
      }
      ASSERT_TRUE(comm.PostSend(reply.worker + 1, comm::TagOf(out),
                                MessageCodec::Encode(out))
                      .ok());
    }
  }
  comm.FlushSends();
  EXPECT_TRUE(scheduler.Done());
  EXPECT_EQ(results.size(), kNumItems);
  for (const auto& [id, n] : results) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(ok + failed, kNumItems);
  EXPECT_EQ(failed, (kNumItems + 31) / 37);  // seq = 5, 42, 79, ...
  EXPECT_EQ(reported_ok, ok);
  EXPECT_EQ(reported_failed, failed);
  for (int w = 0; w < num_workers; ++w) {
    EXPECT_GT(per_worker[w], 0u) << "worker " << w << " got no work";
  }
}

void RunWorker(Communicator& comm,
               const coordinator::WorkSchedulerOptions& options) {
  std::deque<WorkItem> queue;
  bool outstanding = false;
  bool no_more_work = false;
  uint64_t ok = 0, failed = 0;
  auto handle = [&](WorkMessage m) {
    outstanding = false;
    if (std::holds_alternative<comm::NoMoreWork>(m)) {
      no_more_work = true;
    } else {
      auto& chunk = std::get<comm::WorkChunk>(m);
      ASSERT_FALSE(chunk.items.empty());
      for (auto& item : chunk.items) queue.push_back(std::move(item));
    }
  };
  while (true) {
    // 1) Ask before running dry: below one chunk, one request at a time.
    if (!no_more_work && !outstanding && queue.size() < options.chunk_size) {
      const size_t capacity = options.max_in_flight_per_worker() - queue.size();
      Send(comm, 0, comm::RequestWork{static_cast<uint32_t>(capacity)});
      outstanding = true;
    }
    if (queue.empty()) {
      if (no_more_work) break;
      handle(Receive(comm, 0, nullptr));  // idle: wait for the reply
      continue;
    }
    if (outstanding && comm.IProbe(0, std::nullopt)) {
      handle(Receive(comm, 0, nullptr));
    }
    // 3) Work on one item and stream its result.
    WorkItem item = std::move(queue.front());
    queue.pop_front();
    if (Fails(item)) {
      Send(comm, 0, comm::TrackFailure{item.track_id, item.seq, "synthetic"});
      ++failed;
    } else {
      Send(comm, 0,
           comm::TrackResult{item.track_id, item.seq, ResultFor(item)});
      ++ok;
    }
  }
  // 4) Done after kNoMoreWork with an empty queue.
  Send(comm, 0, comm::WorkerDone{ok, failed});
}

TEST(WorkProtocolMpiTest, EveryItemComesBackExactlyOnce) {
  Communicator comm = Communicator::DuplicateWorld();
  if (comm.size() < 2) GTEST_SKIP() << "needs at least 2 ranks (1 worker)";
  coordinator::WorkSchedulerOptions options;
  options.chunk_size = 16;
  options.prefetch_chunks = 2;
  ASSERT_TRUE(options.Validate().ok());
  if (comm.rank() == 0) {
    RunCoordinator(comm, options);
  } else {
    RunWorker(comm, options);
  }
  comm.Barrier();
}

}  // namespace
}  // namespace mer
