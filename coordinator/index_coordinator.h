// IndexCoordinator: rank 0 of `mer index` (DESIGN.md §3). It streams the
// catalogue, skips tracks already indexed with the same fingerprint and
// model, hands out the rest in chunks on request (WorkScheduler), writes the
// workers' results and failures to the EmotionIndex in batches, reports
// progress, and at the end prunes (optional) and builds the ANN index.
//
// The job as the coordinator runs it, step by step (the message protocol
// itself is the numbered comment of coordinator/work_scheduler.h):
//  1. Open(): open (or create) the index and check its identity (model id +
//     front-end digest; a different model is refused unless `reindex`,
//     which drops every record), then open the catalogue stream.
//  2. Run(): serve the work protocol until every worker has sent
//     kWorkerDone. Each catalogue entry, as the scheduler pulls it, is
//     looked up in the index: a track whose stored fingerprint (size,
//     mtime, prefix hash) equals the file's and whose model id is the
//     job's is skipped, and so is a failed track whose file is unchanged
//     (unless `retry_failed`); everything else is handed out.
//  3. Results and failures are buffered and written in one WriteBatch per
//     `write_batch` tracks or `flush_seconds`, whichever comes first. A
//     track is in the index completely or not at all, so a job killed at
//     any moment (kill -9) and run again redoes only the tracks whose batch
//     had not been written: nothing is lost, nothing duplicated (the track
//     id is the key). After each batch the fault point "index.written"
//     (common/core/fault_point.h) is passed with the tracks written so far.
//  4. When the catalogue scan failed part-way (an unreadable folder, a bad
//     manifest line), the job fails after writing what it has, and prunes
//     nothing.
//  5. With `prune`, every indexed track that is not in the catalogue any
//     more is deleted (PruneSet, catalogue_prune.h: a streamed, sorted
//     comparison that keeps memory bounded).
//  6. With `build_ann`, embeddings.hnsw is rebuilt when it is stale.
//  7. Throughout, a StallInspector watches the workers' heartbeats: a
//     silent worker is named in a warning, and after stall.abort_seconds
//     the job writes what it has and fails, naming the rank and host.
//
// Memory: bounded by the in-flight items and one write batch; it does not
// grow with the catalogue.
//
// Thread-safety: not thread-safe; one thread runs the job.
#ifndef MER_COORDINATOR_INDEX_COORDINATOR_H_
#define MER_COORDINATOR_INDEX_COORDINATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "coordinator/catalogue_source.h"
#include "coordinator/coordinator_transport.h"
#include "coordinator/stall_inspector.h"
#include "coordinator/work_scheduler.h"
#include "storage/emotion_index.h"

namespace mer::coordinator {

struct IndexJobOptions {
  // A directory (scanned recursively for audio) or a CSV/TSV manifest with
  // `path` and optional `track_id`. Required.
  std::string catalogue;
  // The index folder. Required.
  std::string index_dir;
  // The model's identity (from its bundle manifest). model_id required.
  storage::IndexIdentity identity;
  WorkSchedulerOptions scheduler;
  // Replace an index made by another model (drops its records). Default: false
  bool reindex = false;
  // Delete indexed tracks that left the catalogue. Default: false
  bool prune = false;
  // Analyse failed tracks again even when their file did not change.
  // Default: false
  bool retry_failed = false;
  // Tracks per write batch. Default: 64
  size_t write_batch = 64;
  // Longest time a finished track waits to be written, s. Default: 1
  double flush_seconds = 1.0;
  // Build the hnsw index of the embeddings at the end. Default: true
  bool build_ann = true;
  // Progress on stderr (core::Progress). Default: true
  bool progress = true;
  // Progress as plain lines even on a terminal. Default: false
  bool progress_lines = false;
  // Free space the index's filesystem must keep: checked before the index
  // is opened and before each write batch; below it the job writes
  // nothing more and stops with a one-line error (a full disk must not
  // crash RocksDB mid-write). 0: no check. Default: 64 MB
  uint64_t min_free_bytes = 64'000'000;
  // Silent workers: warning, then abort (stall_inspector.h).
  StallOptions stall;

  [[nodiscard]] core::Status Validate() const;
};

struct IndexJobSummary {
  uint64_t catalogue = 0;  // entries seen in the catalogue
  uint64_t skipped = 0;    // unchanged since an earlier run
  uint64_t indexed = 0;    // analysed and written by this run
  uint64_t failed = 0;     // failed in this run
  uint64_t pruned = 0;     // deleted by --prune
  double audio_seconds = 0;  // of the tracks indexed by this run
  double wall_seconds = 0;
  int workers = 0;
  // Per worker (rank w + 1): its host, tracks finished (indexed or failed)
  // and audio seconds indexed, to show how the work was shared.
  struct Worker {
    std::string host;
    uint64_t tracks = 0;
    double audio_seconds = 0;
    double cpu_seconds = 0;  // the worker process's, as it reported
  };
  std::vector<Worker> per_worker;
  bool ann_built = false;
  storage::IndexStats stats;  // of the whole index at the end
};

class IndexCoordinator {
 public:
  static core::Result<std::unique_ptr<IndexCoordinator>> Open(
      const IndexJobOptions& options);
  ~IndexCoordinator();

  // Runs the job over `transport` (whose workers must all take part) until
  // every worker is done. Fails on an index write error, a protocol error,
  // or a catalogue scan that ended early.
  core::Result<IndexJobSummary> Run(CoordinatorTransport& transport);

  storage::EmotionIndex& index() { return *index_; }

 private:
  class SkippingSource;
  struct RunState;
  IndexCoordinator() = default;

  // One message from worker `in.worker`.
  core::Status Handle(const IncomingMessage& in, int num_workers,
                      RunState* st);
  // The item `id` came back from `worker`; returns it (empty if unknown).
  WorkItem Finished(int worker, const std::string& id, RunState* st);
  storage::FailureRecord FailureOf(const WorkItem& item, const std::string& id,
                                   const std::string& reason);
  core::Status SendReplies(CoordinatorTransport& transport, RunState* st);
  // Writes the buffered results in one batch.
  core::Status Flush(RunState* st);
  // IOError naming the folder and its free space when it is below
  // min_free_bytes; `written` tracks are already in the index.
  core::Status CheckFreeSpace(uint64_t written) const;
  core::Status Finish(RunState* st);

  IndexJobOptions options_;
  std::unique_ptr<storage::EmotionIndex> index_;
  std::unique_ptr<CatalogueSource> catalogue_;
};

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_INDEX_COORDINATOR_H_
