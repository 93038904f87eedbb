// mer index --catalogue DIR|MANIFEST --model M --index DIR: label a catalogue
// by emotion into the RocksDB index (DESIGN.md §3). Rank 0 coordinates
// (coordinator/index_coordinator.h), ranks 1..N-1 run the inference pipeline
// (worker/index/index_worker.h, through cli/model_runtime.h: the light `mer`
// coordinates, mer-torch analyses), both driven by coordinator/index_job.h;
// this file parses the options, wires the two halves and prints the summary.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "cli/model_runtime.h"
#include "cli/mpi_session.h"
#include "common/nn/bundle_manifest.h"
#include "coordinator/index_coordinator.h"
#include "coordinator/index_job.h"

namespace mer::cli {
namespace {

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
    nlohmann::json per_worker = nlohmann::json::array();
    for (size_t w = 0; w < s.per_worker.size(); ++w) {
      const auto& p = s.per_worker[w];
      per_worker.push_back({{"rank", ranks > 1 ? w + 1 : 0},
                            {"host", p.host},
                            {"tracks", p.tracks},
                            {"audio_seconds", p.audio_seconds},
                            {"cpu_seconds", p.cpu_seconds}});
    }
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
                     {"per_worker", per_worker},
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
  if (s.per_worker.size() > 1) {
    for (size_t w = 0; w < s.per_worker.size(); ++w) {
      const auto& p = s.per_worker[w];
      std::cout << "index: rank " << w + 1 << " on " << p.host << ": "
                << p.tracks << " tracks, " << p.audio_seconds / 60
                << " min of audio, " << p.cpu_seconds << " s CPU\n";
    }
  }
}

// What the command line asks for; the thread budget and GPU are resolved
// once MPI says how many ranks share the node.
struct IndexCommand {
  coordinator::IndexJobOptions job;
  worker::InferencePipelineOptions pipe;
  std::string device;  // cpu or cuda
  int decode_threads = 0, model_threads = 0;  // 0: cores / local workers
  bool json = false;
};

void AddIndexOptions(po::options_description* desc,
                     po::options_description* hidden) {
  desc->add_options()
      ("catalogue,c", po::value<std::string>(), "audio folder (scanned recursively) or CSV/TSV manifest with 'path' and optional 'track_id'")
      ("model,m", po::value<std::string>(), "model bundle (.merm)")
      ("index,i", po::value<std::string>(), "index folder (created when missing)")
      ("device", po::value<std::string>()->default_value("cpu"), "cpu or cuda (each worker takes GPU local_rank % GPUs)")
      ("chunk", po::value<int>()->default_value(32), "largest work chunk, tracks (smaller near the end)")
      ("prefetch", po::value<int>()->default_value(2), "chunks a worker holds at once")
      ("decode-threads", po::value<int>()->default_value(0), "decode threads per worker (0 = the worker's share of the node's cores less its model threads, whose thread also decodes when idle; all of the share with --device cuda)")
      ("model-threads", po::value<int>()->default_value(0), "LibTorch threads per worker (0 = half the worker's share of the node's cores, at least 1; 1 with --device cuda)")
      ("batch", po::value<int>()->default_value(32), "windows per forward pass (predict and eval use 32 too: the same file gives the same numbers)")
      ("precision", po::value<std::string>()->default_value("float32"), kPrecisionHelp)
      ("min-seconds", po::value<double>()->default_value(1.0), "tracks shorter than this fail")
      ("max-seconds", po::value<double>()->default_value(0), "analyse at most this much of each track (0 = all)")
      ("reindex", "replace an index made by another model (drops its records)")
      ("prune", "delete indexed tracks that left the catalogue")
      ("retry-failed", "analyse failed tracks again even when unchanged")
      ("no-ann", "do not build the similarity (hnsw) index at the end")
      ("track-timeout", po::value<double>()->default_value(60), "a track fails 'timed out' after this many seconds plus --track-timeout-per-mb (0 = never)")
      ("track-timeout-per-mb", po::value<double>()->default_value(2), "seconds added to --track-timeout per MB of the file")
      ("min-free-mb", po::value<double>()->default_value(64), "stop cleanly when the index's filesystem has less free space than this, MB")
      ("stall-warn", po::value<double>()->default_value(4), "warn when a worker is silent this long, s (workers send a heartbeat each second)")
      ("stall-abort", po::value<double>()->default_value(10), "abort, naming the worker's host, when it is silent this long, s (0 = never)")
      ("progress", po::value<std::string>()->default_value("auto"), "auto (a bar on a terminal, a line every 10 s otherwise), lines or none")
      ("no-progress", "same as --progress none")
      ("json", "print the summary as one JSON object");
  hidden->add_options()
      ("write-batch", po::value<int>()->default_value(64), "tracks per index write");
}

// The options, or a one-line usage error (returned as the Status message).
core::Result<IndexCommand> ParseIndexCommand(const po::variables_map& vm) {
  auto bad = [](const std::string& m) { return core::Status::InvalidArgument(m); };
  IndexCommand c;
  if (vm.count("catalogue")) c.job.catalogue = vm["catalogue"].as<std::string>();
  if (vm.count("index")) c.job.index_dir = vm["index"].as<std::string>();
  if (vm.count("model")) c.pipe.model_path = vm["model"].as<std::string>();
  if (c.job.catalogue.empty()) return bad("--catalogue is required");
  if (c.job.index_dir.empty()) return bad("--index is required");
  if (c.pipe.model_path.empty()) return bad("--model is required");
  c.device = vm["device"].as<std::string>();
  if (c.device != "cpu" && c.device != "cuda") {
    return bad("--device must be cpu or cuda, not '" + c.device + "'");
  }
  const int chunk = vm["chunk"].as<int>(), prefetch = vm["prefetch"].as<int>();
  if (chunk < 1 || prefetch < 1) return bad("--chunk and --prefetch must be >= 1");
  if (vm["batch"].as<int>() < 1) return bad("--batch must be >= 1");
  c.decode_threads = vm["decode-threads"].as<int>();
  c.model_threads = vm["model-threads"].as<int>();
  if (c.decode_threads < 0 || c.model_threads < 0) {
    return bad("thread counts must be >= 0");
  }
  if (vm["write-batch"].as<int>() < 1) return bad("--write-batch must be >= 1");
  c.job.scheduler.chunk_size = static_cast<size_t>(chunk);
  c.job.scheduler.prefetch_chunks = static_cast<size_t>(prefetch);
  c.job.reindex = vm.count("reindex") > 0;
  c.job.prune = vm.count("prune") > 0;
  c.job.retry_failed = vm.count("retry-failed") > 0;
  c.job.build_ann = !vm.count("no-ann");
  const std::string progress = vm["progress"].as<std::string>();
  if (progress != "auto" && progress != "lines" && progress != "none") {
    return bad("--progress must be auto, lines or none, not '" + progress + "'");
  }
  c.job.progress = !vm.count("no-progress") && progress != "none";
  c.job.progress_lines = progress == "lines";
  c.pipe.timeout_seconds = vm["track-timeout"].as<double>();
  c.pipe.timeout_seconds_per_mb = vm["track-timeout-per-mb"].as<double>();
  if (!(c.pipe.timeout_seconds >= 0) || !(c.pipe.timeout_seconds_per_mb >= 0)) {
    return bad("--track-timeout and --track-timeout-per-mb must be >= 0");
  }
  const double min_free_mb = vm["min-free-mb"].as<double>();
  if (!(min_free_mb >= 0)) return bad("--min-free-mb must be >= 0");
  c.job.min_free_bytes = static_cast<uint64_t>(min_free_mb * 1e6);
  c.job.stall.warn_seconds = vm["stall-warn"].as<double>();
  c.job.stall.abort_seconds = vm["stall-abort"].as<double>();
  if (auto s = c.job.stall.Validate(); !s.ok()) return bad(s.message());
  c.job.write_batch = static_cast<size_t>(vm["write-batch"].as<int>());
  c.pipe.predictor.batch_size = vm["batch"].as<int>();
  c.pipe.predictor.precision = vm["precision"].as<std::string>();
  if (c.pipe.predictor.precision != "float32" &&
      c.pipe.predictor.precision != "bfloat16") {
    return bad("--precision must be float32 or bfloat16");
  }
  c.pipe.track.min_seconds = vm["min-seconds"].as<double>();
  c.pipe.track.max_seconds = vm["max-seconds"].as<double>();
  c.json = vm.count("json") > 0;
  return c;
}

// Threads: the node's cores shared among the workers on it (the
// coordinator, rank 0 of several, takes a few per cent of a core and counts
// for none), and each worker's share split between the model and decoding:
// half to the model's intra-op threads, the rest to decode threads, and the
// model thread decodes tracks itself until the decoded ones waiting for it
// fill a batch (InferencePipelineOptions::model_thread_decodes). So no core of the
// share idles while there is work, and no thread competes for a core a
// LibTorch intra-op thread holds (they wait at barriers when one is
// preempted). One rank on 2 cores, 41 Vorbis tracks: 1 decode thread and a
// model thread that helps took 8 % less wall time than without the help,
// for 4-7 % more CPU time (two busy cores run slower on this VM than one);
// the ensemble's front end (descriptors), several times dearer than its
// model, leaves the model thread decoding most of the time, as fast as a
// second decode thread was (15.0 s wall either way). A worker with one
// core (two workers beside the coordinator on 2 cores) has no decode
// thread: its model thread decodes every track and runs the model when a
// batch is full, so its share holds one busy thread. A GPU worker's model
// needs one thread to feed it, which never decodes, and decodes on the
// whole share. Each worker's GPU is local_rank % GPUs.
void ResolveResources(const comm::MpiEnvironment& env, IndexCommand* c) {
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const bool coordinator_here = env.size() > 1 && env.local_first_rank() == 0;
  const int workers_here = std::max(1, env.local_size() - (coordinator_here ? 1 : 0));
  const int per_rank = std::max(1, cores / workers_here);
  const bool gpu = c->device != "cpu";
  const int model = c->model_threads > 0 ? c->model_threads
                    : gpu                ? 1
                                         : std::max(1, per_rank / 2);
  c->pipe.predictor.num_threads = model;
  c->pipe.model_thread_decodes = !gpu;
  c->pipe.decode_threads = c->decode_threads > 0 ? c->decode_threads
                           : gpu                 ? per_rank
                                                 : std::max(0, per_rank - model);
  c->pipe.predictor.device =
      !gpu ? "cpu"
           : "cuda:" + std::to_string(env.local_rank() % VisibleGpus());
}

}  // namespace

int IndexMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  AddIndexOptions(&desc, &hidden);
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
  auto command = ParseIndexCommand(parsed->vm);
  if (!command.ok()) return UsageError("index", command.status().message());
  // The light `mer` coordinates; a rank that analyses (and a job of one
  // rank) runs in mer-torch, handed over before MPI starts.
  if (!HasModelRuntime() && !CoordinatorOnlyRank()) return RunInModelBinary(args);
  IndexCommand& c = *command;
  // The identity the index must carry, from the manifest (no weights).
  auto manifest = nn::ReadBundleManifest(c.pipe.model_path);
  if (!manifest.ok()) {
    PrintError("index", manifest.status().message());
    return kExitFailure;
  }
  c.job.identity.model_id = manifest->model_id;
  c.job.identity.front_end_digest = manifest->front_end_digest;
  c.job.identity.front_end_json = manifest->front_end.dump();
  if (auto s = c.job.Validate(); !s.ok()) return UsageError("index", s.message());
  auto mpi = StartMpi();
  if (!mpi.ok()) {
    PrintError("index", mpi.status().message());
    return kExitFailure;
  }
  comm::Communicator& world = *(*mpi)->world;
  ResolveResources(*(*mpi)->env, &c);
  const worker::IndexWorkerOptions wopts{c.job.scheduler.chunk_size,
                                         c.job.scheduler.prefetch_chunks};
  auto open_worker = [&] { return OpenIndexWorkerRole(c.pipe, wopts); };
  auto summary = coordinator::RunIndexJob(c.job, world, open_worker);
  if (!summary.ok()) {
    // A rank that stopped for another's failure leaves the report to it.
    if (world.rank() == 0 || !summary.status().IsAborted()) {
      PrintError("index", summary.status().message());
    }
    return kExitFailure;
  }
  if (*summary) PrintSummary(**summary, c.job, world.size(), c.json);
  return kExitOk;
}

}  // namespace mer::cli
