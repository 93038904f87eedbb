// mer index --catalogue DIR|MANIFEST --model M --index DIR: label a catalogue
// by emotion into the RocksDB index (DESIGN.md §3). Rank 0 coordinates
// (coordinator/index_coordinator.h), ranks 1..N-1 run the inference pipeline
// (worker/index_worker.h); with one rank both run in this process, the
// worker on its own threads, over an in-process channel (no MPI messages).
#include <mpi.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "cli/mpi_session.h"
#include "common/nn/bundle_manifest.h"
#include "coordinator/index_coordinator.h"
#include "worker/index_worker.h"

namespace mer::cli {
namespace {

// One-rank jobs: the coordinator and its single worker exchange WorkMessages
// through two queues. Either side closing the channel (it failed) wakes the
// other with Aborted, so neither waits forever.
class LocalChannel {
 public:
  class CoordinatorSide : public coordinator::CoordinatorTransport {
   public:
    explicit CoordinatorSide(LocalChannel* c) : c_(c) {}
    int num_workers() const override { return 1; }
    core::Status Send(int worker, const comm::WorkMessage& m) override {
      return c_->Push(&c_->to_worker_, m);
    }
    core::Result<std::optional<coordinator::IncomingMessage>> Receive(
        std::chrono::milliseconds timeout) override {
      MER_ASSIGN_OR_RETURN(auto m, c_->Pop(&c_->to_coordinator_, timeout));
      if (!m) return std::optional<coordinator::IncomingMessage>();
      return std::optional<coordinator::IncomingMessage>(
          coordinator::IncomingMessage{0, std::move(*m)});
    }

   private:
    LocalChannel* c_;
  };
  class WorkerSide : public worker::WorkerTransport {
   public:
    explicit WorkerSide(LocalChannel* c) : c_(c) {}
    core::Status Send(const comm::WorkMessage& m) override {
      return c_->Push(&c_->to_coordinator_, m);
    }
    core::Result<std::optional<comm::WorkMessage>> Receive(
        std::chrono::milliseconds timeout) override {
      return c_->Pop(&c_->to_worker_, timeout);
    }

   private:
    LocalChannel* c_;
  };

  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  core::Status Push(std::deque<comm::WorkMessage>* q,
                    const comm::WorkMessage& m) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return core::Status::Aborted("index: the other side stopped");
      q->push_back(m);
    }
    cv_.notify_all();
    return core::Status::Ok();
  }
  core::Result<std::optional<comm::WorkMessage>> Pop(
      std::deque<comm::WorkMessage>* q, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return closed_ || !q->empty(); });
    if (!q->empty()) {
      comm::WorkMessage m = std::move(q->front());
      q->pop_front();
      return std::optional<comm::WorkMessage>(std::move(m));
    }
    if (closed_) return core::Status::Aborted("index: the other side stopped");
    return std::optional<comm::WorkMessage>();
  }

  std::mutex mu_;  // guards both queues and closed_
  std::condition_variable cv_;
  std::deque<comm::WorkMessage> to_coordinator_, to_worker_;
  bool closed_ = false;
};

// GPUs visible to this process: CUDA_VISIBLE_DEVICES, else the driver's
// list, else 1.
int VisibleGpus() {
  if (const char* v = std::getenv("CUDA_VISIBLE_DEVICES"); v && *v) {
    int n = 1;
    for (const char* p = v; *p; ++p) n += *p == ',';
    return n;
  }
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator(
           "/proc/driver/nvidia/gpus", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return std::max(n, 1);
}

void PrintSummary(const coordinator::IndexJobSummary& s,
                  const coordinator::IndexJobOptions& o, int ranks, bool json) {
  const auto& st = s.stats;
  if (json) {
    std::cout << nlohmann::json{
                     {"index", o.index_dir},
                     {"catalogue", o.catalogue},
                     {"entries", s.catalogue},
                     {"skipped", s.skipped},
                     {"indexed", s.indexed},
                     {"failed", s.failed},
                     {"pruned", s.pruned},
                     {"audio_hours", s.audio_seconds / 3600},
                     {"wall_seconds", s.wall_seconds},
                     {"tracks_per_second",
                      s.wall_seconds > 0 ? (s.indexed + s.failed) / s.wall_seconds : 0},
                     {"ranks", ranks},
                     {"workers", s.workers},
                     {"ann_built", s.ann_built},
                     {"model_id", st.identity.model_id},
                     {"index_tracks", st.tracks},
                     {"index_failures", st.failures},
                     {"per_quadrant",
                      {{"happy", st.per_quadrant[0]},
                       {"tense", st.per_quadrant[1]},
                       {"sad", st.per_quadrant[2]},
                       {"calm", st.per_quadrant[3]}}},
                     {"index_audio_hours", st.audio_hours}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << "index: " << s.catalogue << " catalogue entries: " << s.indexed
            << " indexed, " << s.failed << " failed, " << s.skipped
            << " unchanged (skipped)";
  if (o.prune) std::cout << ", " << s.pruned << " pruned";
  std::cout << "; " << s.audio_seconds / 3600 << " h of audio in "
            << s.wall_seconds << " s with " << s.workers << " worker(s)\n"
            << "index: " << o.index_dir << " holds " << st.tracks
            << " tracks (happy " << st.per_quadrant[0] << ", tense "
            << st.per_quadrant[1] << ", sad " << st.per_quadrant[2]
            << ", calm " << st.per_quadrant[3] << "), " << st.failures
            << " failures" << (st.failures ? " (mer query --failures)" : "")
            << ", model " << st.identity.model_id << "\n";
}

}  // namespace

int IndexMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()
      ("catalogue,c", po::value<std::string>(), "audio folder (scanned recursively) or CSV/TSV manifest with 'path' and optional 'track_id'")
      ("model,m", po::value<std::string>(), "model bundle (.merm)")
      ("index,i", po::value<std::string>(), "index folder (created when missing)")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu or cuda (each worker takes GPU local_rank % GPUs)")
      ("chunk", po::value<int>()->default_value(32), "tracks per work chunk")
      ("prefetch", po::value<int>()->default_value(2), "chunks a worker holds at once")
      ("decode-threads", po::value<int>()->default_value(0), "decode threads per worker (0 = cores / ranks on the node)")
      ("model-threads", po::value<int>()->default_value(0), "LibTorch threads per worker (0 = cores / ranks on the node)")
      ("batch", po::value<int>()->default_value(64), "segments per forward pass")
      ("min-seconds", po::value<double>()->default_value(1.0), "tracks shorter than this fail")
      ("max-seconds", po::value<double>()->default_value(0), "analyse at most this much of each track (0 = all)")
      ("reindex", "replace an index made by another model (drops its records)")
      ("prune", "delete indexed tracks that left the catalogue")
      ("retry-failed", "analyse failed tracks again even when unchanged")
      ("no-ann", "do not build the similarity (hnsw) index at the end")
      ("no-progress", "no progress on stderr")
      ("json", "print the summary as one JSON object");
  hidden.add_options()
      ("test-kill-after", po::value<uint64_t>()->default_value(0), "test hook")
      ("write-batch", po::value<int>()->default_value(64), "tracks per index write");
  po::positional_options_description pos;
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("index", "--catalogue DIR|MANIFEST --model M.merm --index DIR [OPTIONS]",
              "Labels every track of a catalogue by emotion (valence, arousal, "
              "quadrant probabilities,\nembedding, timeline) into the index. "
              "Under mpirun rank 0 coordinates and writes, the\nother ranks "
              "analyse; with one rank everything runs in this process. Tracks "
              "already indexed\nwith the same file fingerprint and model are "
              "skipped, so a killed job resumes where it\nstopped. A track "
              "that fails becomes a failure record (mer query --failures); the "
              "job goes on\nand exits 0.",
              desc);
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  coordinator::IndexJobOptions job;
  worker::InferencePipelineOptions pipe;
  if (vm.count("catalogue")) job.catalogue = vm["catalogue"].as<std::string>();
  if (vm.count("index")) job.index_dir = vm["index"].as<std::string>();
  if (vm.count("model")) pipe.model_path = vm["model"].as<std::string>();
  if (job.catalogue.empty()) return UsageError("index", "--catalogue is required");
  if (job.index_dir.empty()) return UsageError("index", "--index is required");
  if (pipe.model_path.empty()) return UsageError("index", "--model is required");
  const std::string device = vm["device"].as<std::string>();
  if (device != "cpu" && device != "cuda") {
    return UsageError("index", "--device must be cpu or cuda, not '" + device + "'");
  }
  const int chunk = vm["chunk"].as<int>(), prefetch = vm["prefetch"].as<int>();
  if (chunk < 1 || prefetch < 1) {
    return UsageError("index", "--chunk and --prefetch must be >= 1");
  }
  if (vm["batch"].as<int>() < 1) return UsageError("index", "--batch must be >= 1");
  if (vm["decode-threads"].as<int>() < 0 || vm["model-threads"].as<int>() < 0) {
    return UsageError("index", "thread counts must be >= 0");
  }
  job.scheduler.chunk_size = static_cast<size_t>(chunk);
  job.scheduler.prefetch_chunks = static_cast<size_t>(prefetch);
  job.reindex = vm.count("reindex") > 0;
  job.prune = vm.count("prune") > 0;
  job.retry_failed = vm.count("retry-failed") > 0;
  job.build_ann = !vm.count("no-ann");
  job.progress = !vm.count("no-progress");
  job.kill_after_tracks = vm["test-kill-after"].as<uint64_t>();
  if (vm["write-batch"].as<int>() < 1) return UsageError("index", "--write-batch must be >= 1");
  job.write_batch = static_cast<size_t>(vm["write-batch"].as<int>());
  pipe.predictor.batch_size = vm["batch"].as<int>();
  pipe.track.min_seconds = vm["min-seconds"].as<double>();
  pipe.track.max_seconds = vm["max-seconds"].as<double>();
  const bool json = vm.count("json") > 0;

  // The identity the index must carry, from the manifest (no weights).
  auto manifest = nn::ReadBundleManifest(pipe.model_path);
  if (!manifest.ok()) {
    PrintError("index", manifest.status().message());
    return kExitFailure;
  }
  job.identity.model_id = manifest->model_id;
  job.identity.front_end_digest = manifest->front_end_digest;
  job.identity.front_end_json = manifest->front_end.dump();
  if (auto s = job.Validate(); !s.ok()) return UsageError("index", s.message());

  auto mpi = StartMpi();
  if (!mpi.ok()) {
    PrintError("index", mpi.status().message());
    return kExitFailure;
  }
  comm::Communicator& world = *(*mpi)->world;
  const int rank = world.rank(), size = world.size();
  const comm::MpiEnvironment& env = *(*mpi)->env;
  // Threads: the node's cores shared among the worker ranks on it.
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const int per_rank = std::max(1, cores / std::max(1, env.local_size()));
  pipe.decode_threads = vm["decode-threads"].as<int>();
  if (pipe.decode_threads == 0) pipe.decode_threads = std::max(1, per_rank);
  pipe.predictor.num_threads = vm["model-threads"].as<int>();
  if (pipe.predictor.num_threads == 0) pipe.predictor.num_threads = per_rank;
  pipe.predictor.device =
      device == "cpu" ? "cpu"
                      : "cuda:" + std::to_string(env.local_rank() % VisibleGpus());
  worker::IndexWorkerOptions wopts{job.scheduler.chunk_size,
                                   job.scheduler.prefetch_chunks};

  if (size == 1) {
    auto coord = coordinator::IndexCoordinator::Open(job);
    if (!coord.ok()) {
      PrintError("index", coord.status().message());
      return kExitFailure;
    }
    auto pipeline = worker::InferencePipeline::Open(pipe);
    if (!pipeline.ok()) {
      PrintError("index", pipeline.status().message());
      return kExitFailure;
    }
    LocalChannel channel;
    LocalChannel::CoordinatorSide coord_side(&channel);
    LocalChannel::WorkerSide worker_side(&channel);
    core::Status worker_status;
    std::thread worker_thread([&] {
      auto r = worker::RunIndexWorker(worker_side, **pipeline, wopts);
      if (!r.ok()) {
        worker_status = r.status();
        channel.Close();
      }
    });
    auto summary = (*coord)->Run(coord_side);
    if (!summary.ok()) channel.Close();
    worker_thread.join();
    if (!summary.ok()) {
      PrintError("index", summary.status().message());
      return kExitFailure;
    }
    if (!worker_status.ok()) {
      PrintError("index", worker_status.message());
      return kExitFailure;
    }
    PrintSummary(*summary, job, size, json);
    return kExitOk;
  }

  // Several ranks: everyone opens what it needs, then all agree to start.
  std::unique_ptr<coordinator::IndexCoordinator> coord;
  std::unique_ptr<worker::InferencePipeline> pipeline;
  core::Status start;
  if (rank == 0) {
    auto c = coordinator::IndexCoordinator::Open(job);
    if (c.ok()) coord = std::move(*c); else start = c.status();
  } else {
    auto p = worker::InferencePipeline::Open(pipe);
    if (p.ok()) pipeline = std::move(*p); else start = p.status();
  }
  if (!start.ok()) PrintError("index", (rank ? "rank " + std::to_string(rank) + ": " : "") + start.message());
  std::vector<int64_t> failed = world.AllgatherInt64(start.ok() ? 0 : 1);
  int bad = 0;
  for (int64_t f : failed) bad += static_cast<int>(f);
  if (bad > 0) {
    if (rank == 0 && start.ok()) {
      PrintError("index", std::to_string(bad) + " worker rank(s) could not start (see above)");
    }
    return kExitFailure;
  }
  if (rank == 0) {
    coordinator::MpiCoordinatorTransport transport(&world);
    auto summary = coord->Run(transport);
    if (!summary.ok()) {
      PrintError("index", summary.status().message());
      MPI_Abort(MPI_COMM_WORLD, kExitFailure);
      return kExitFailure;
    }
    world.FlushSends();
    PrintSummary(*summary, job, size, json);
  } else {
    worker::MpiWorkerTransport transport(&world);
    auto summary = worker::RunIndexWorker(transport, *pipeline, wopts);
    if (!summary.ok()) {
      PrintError("index", "rank " + std::to_string(rank) + ": " + summary.status().message());
      MPI_Abort(MPI_COMM_WORLD, kExitFailure);
      return kExitFailure;
    }
    world.FlushSends();
  }
  world.Barrier();
  return kExitOk;
}

}  // namespace mer::cli
