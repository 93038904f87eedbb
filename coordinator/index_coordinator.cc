#include "coordinator/index_coordinator.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/core/disk_space.h"
#include "common/core/fault_point.h"
#include "common/core/progress.h"
#include "coordinator/catalogue_prune.h"
#include "coordinator/result_payload.h"
#include "storage/query.h"
#include "storage/track_fingerprint.h"

namespace mer::coordinator {
namespace {

using Clock = std::chrono::steady_clock;

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

core::Status IndexJobOptions::Validate() const {
  if (catalogue.empty()) {
    return core::Status::InvalidArgument("--catalogue is required");
  }
  if (index_dir.empty()) {
    return core::Status::InvalidArgument("--index is required");
  }
  if (identity.model_id.empty()) {
    return core::Status::InvalidArgument("the model has no model id");
  }
  if (write_batch == 0) {
    return core::Status::InvalidArgument("write_batch must be >= 1");
  }
  if (!(flush_seconds > 0)) {
    return core::Status::InvalidArgument("flush_seconds must be > 0");
  }
  MER_RETURN_IF_ERROR(stall.Validate());
  return scheduler.Validate();
}

// The catalogue minus the tracks that need no work (protocol step 2 of the
// header). Looks each entry up as the scheduler pulls it, so nothing of the
// catalogue is held.
class IndexCoordinator::SkippingSource : public WorkSource {
 public:
  SkippingSource(CatalogueSource* catalogue, const storage::EmotionIndex* index,
                 const IndexJobOptions* options)
      : catalogue_(catalogue), index_(index), options_(options) {}

  std::optional<WorkItem> Next() override {
    while (auto item = catalogue_->Next()) {
      ++seen_;
      auto skip = Unchanged(*item);
      if (!skip.ok()) {
        status_ = skip.status();
        break;
      }
      if (*skip) {
        ++skipped_;
        continue;
      }
      return item;
    }
    dry_ = true;
    return std::nullopt;
  }

  uint64_t seen() const { return seen_; }
  uint64_t skipped() const { return skipped_; }
  bool dry() const { return dry_; }
  const core::Status& status() const {
    return status_.ok() ? catalogue_->status() : status_;
  }

 private:
  core::Result<bool> Unchanged(const WorkItem& item) const {
    MER_ASSIGN_OR_RETURN(auto stored, index_->GetFingerprint(item.track_id));
    std::optional<storage::Fingerprint> old;
    if (stored) {
      if (stored->second != options_->identity.model_id) return false;
      old = stored->first;
    } else if (!options_->retry_failed) {
      MER_ASSIGN_OR_RETURN(auto failure, index_->GetFailure(item.track_id));
      if (!failure || failure->path != item.path) return false;
      old = failure->fingerprint;
    } else {
      return false;
    }
    auto now = storage::FingerprintFile(item.path);
    // A file that cannot be read now is handed out: the worker records why.
    return now.ok() && *now == *old;
  }

  CatalogueSource* catalogue_;
  const storage::EmotionIndex* index_;
  const IndexJobOptions* options_;
  uint64_t seen_ = 0, skipped_ = 0;
  bool dry_ = false;
  core::Status status_;
};

IndexCoordinator::~IndexCoordinator() = default;

core::Result<std::unique_ptr<IndexCoordinator>> IndexCoordinator::Open(
    const IndexJobOptions& options) {
  MER_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<IndexCoordinator> c(new IndexCoordinator());
  c->options_ = options;
  MER_RETURN_IF_ERROR(c->CheckFreeSpace(0));
  MER_ASSIGN_OR_RETURN(c->catalogue_, CatalogueSource::Open(options.catalogue));
  MER_ASSIGN_OR_RETURN(c->index_, storage::EmotionIndex::Open(options.index_dir));
  MER_RETURN_IF_ERROR(c->index_->CheckIdentity(options.identity, options.reindex));
  return c;
}

// One Run's buffers and counters.
struct IndexCoordinator::RunState {
  RunState(CatalogueSource* catalogue, const storage::EmotionIndex* index,
           const IndexJobOptions* options, int num_workers)
      : source(catalogue, index, options),
        scheduler(&source, num_workers, options->scheduler),
        stall(num_workers, options->stall, Clock::now()) {}

  SkippingSource source;
  WorkScheduler scheduler;
  StallInspector stall;
  bool hosts_logged = false;
  IndexJobSummary summary;
  // Items handed out and not yet back, by id: the path of a failed track.
  std::unordered_multimap<std::string, WorkItem> in_flight;
  std::vector<storage::TrackResult> tracks;        // not yet written
  std::vector<storage::FailureRecord> failures;    // not yet written
  Clock::time_point last_flush = Clock::now();
  uint64_t written = 0;
  int done_workers = 0;
};

core::Result<IndexJobSummary> IndexCoordinator::Run(
    CoordinatorTransport& transport) {
  const auto start = Clock::now();
  const int num_workers = transport.num_workers();
  RunState st(catalogue_.get(), index_.get(), &options_, num_workers);
  st.summary.workers = num_workers;
  st.summary.per_worker.resize(static_cast<size_t>(num_workers));
  core::ProgressOptions popts;
  popts.label = "index";
  popts.enabled = options_.progress;
  popts.force_plain = options_.progress_lines;
  auto held = [&st](int w) { return st.scheduler.in_flight(w); };
  auto warn = [](const std::string& line) { spdlog::warn("index: {}", line); };
  core::Progress progress(popts, -1);
  while (st.done_workers < num_workers) {
    const auto wait = std::chrono::milliseconds(
        st.tracks.empty() && st.failures.empty() ? 200 : 20);
    MER_ASSIGN_OR_RETURN(std::optional<IncomingMessage> in,
                         transport.Receive(wait));
    if (in) MER_RETURN_IF_ERROR(Handle(*in, num_workers, &st));
    MER_RETURN_IF_ERROR(SendReplies(transport, &st));
    if (auto lost = st.stall.Check(Clock::now(), held, warn); !lost.ok()) {
      // Keep every finished track, then stop: a lost MPI peer never
      // comes back, and the same command resumes the rest.
      MER_RETURN_IF_ERROR(Flush(&st));
      progress.Finish();
      return lost;
    }
    if (st.tracks.size() + st.failures.size() >= options_.write_batch ||
        Clock::now() - st.last_flush >=
            std::chrono::duration<double>(options_.flush_seconds)) {
      MER_RETURN_IF_ERROR(Flush(&st));
    }
    progress.Update(static_cast<int64_t>(st.summary.indexed),
                    static_cast<int64_t>(st.summary.failed),
                    st.summary.audio_seconds,
                    st.source.dry() ? static_cast<int64_t>(st.scheduler.pulled())
                                    : int64_t{-1});
  }
  MER_RETURN_IF_ERROR(Flush(&st));
  progress.Finish();
  MER_RETURN_IF_ERROR(Finish(&st));
  st.summary.wall_seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  return st.summary;
}

core::Status IndexCoordinator::Handle(const IncomingMessage& in,
                                      int num_workers, RunState* st) {
  const int w = in.worker;
  if (w < 0 || w >= num_workers) {
    return core::Status::Internal("index: message from unknown worker " +
                                  std::to_string(w));
  }
  st->stall.Heard(w, Clock::now());
  IndexJobSummary::Worker& share = st->summary.per_worker[w];
  if (auto* h = std::get_if<comm::Heartbeat>(&in.message)) {
    if (share.host.empty()) {
      share.host = h->host;
      st->stall.SetHost(w, h->host);
      spdlog::debug("index: worker {}", st->stall.Name(w));
      if (!st->hosts_logged && st->stall.AllHostsKnown() && num_workers > 1) {
        st->hosts_logged = true;
        spdlog::info("index: {} workers on {}", num_workers,
                     st->stall.HostSummary());
      }
    }
    return core::Status::Ok();
  }
  if (auto* r = std::get_if<comm::RequestWork>(&in.message)) {
    return st->scheduler.OnRequest(w, r->capacity);
  }
  if (auto* r = std::get_if<comm::TrackResult>(&in.message)) {
    Finished(w, r->track_id, st);
    MER_ASSIGN_OR_RETURN(storage::TrackResult t,
                         DecodeResultPayload(r->track_id, r->payload));
    st->summary.audio_seconds += t.duration_seconds;
    share.audio_seconds += t.duration_seconds;
    ++share.tracks;
    ++st->summary.indexed;
    st->tracks.push_back(std::move(t));
    return core::Status::Ok();
  }
  if (auto* r = std::get_if<comm::TrackFailure>(&in.message)) {
    const WorkItem item = Finished(w, r->track_id, st);
    st->failures.push_back(FailureOf(item, r->track_id, r->reason));
    ++share.tracks;
    ++st->summary.failed;
    return core::Status::Ok();
  }
  if (auto* d = std::get_if<comm::WorkerDone>(&in.message)) {
    share.cpu_seconds = static_cast<double>(d->cpu_ms) / 1000;
    st->stall.Finished(w);
    ++st->done_workers;
    return core::Status::Ok();
  }
  return core::Status::Internal("index: unexpected message from worker " +
                                std::to_string(w));
}

WorkItem IndexCoordinator::Finished(int worker, const std::string& id,
                                    RunState* st) {
  WorkItem item;
  auto it = st->in_flight.find(id);
  if (it != st->in_flight.end()) {
    item = std::move(it->second);
    st->in_flight.erase(it);
  }
  if (auto s = st->scheduler.OnResult(worker, id); !s.ok()) {
    spdlog::warn("index: {}", s.ToString());
  }
  return item;
}

storage::FailureRecord IndexCoordinator::FailureOf(const WorkItem& item,
                                                   const std::string& id,
                                                   const std::string& reason) {
  storage::FailureRecord f;
  f.track_id = id;
  f.path = item.path;
  f.reason = reason;
  f.failed_at_unix = UnixNow();
  if (auto fp = storage::FingerprintFile(item.path); fp.ok()) {
    f.fingerprint = *fp;
  }
  if (auto old = index_->GetFailure(f.track_id); old.ok() && *old) {
    f.attempts = (*old)->attempts + 1;
  }
  spdlog::debug("index: {} failed: {}", f.track_id, f.reason);
  return f;
}

core::Status IndexCoordinator::SendReplies(CoordinatorTransport& transport,
                                           RunState* st) {
  for (WorkReply& reply : st->scheduler.TakeReplies()) {
    if (reply.no_more_work) {
      MER_RETURN_IF_ERROR(transport.Send(reply.worker, comm::NoMoreWork{}));
      continue;
    }
    for (const WorkItem& item : reply.items) {
      st->in_flight.emplace(item.track_id, item);
    }
    MER_RETURN_IF_ERROR(transport.Send(
        reply.worker, comm::WorkChunk{std::move(reply.items)}));
  }
  return core::Status::Ok();
}

core::Status IndexCoordinator::CheckFreeSpace(uint64_t written) const {
  if (options_.min_free_bytes == 0) return core::Status::Ok();
  MER_ASSIGN_OR_RETURN(uint64_t free, core::FreeBytes(options_.index_dir));
  if (free >= options_.min_free_bytes) return core::Status::Ok();
  std::string done = written > 0 ? "stopped after writing " +
                                       std::to_string(written) +
                                       " tracks; "
                                 : "";
  return core::Status::IOError(
      "index " + options_.index_dir,
      core::FormatBytes(free) + " free on its filesystem, below the " +
          core::FormatBytes(options_.min_free_bytes) +
          " it keeps (--min-free-mb); " + done +
          "free some space and run the same command again");
}

core::Status IndexCoordinator::Flush(RunState* st) {
  st->last_flush = Clock::now();
  if (st->tracks.empty() && st->failures.empty()) return core::Status::Ok();
  MER_RETURN_IF_ERROR(CheckFreeSpace(st->written));
  MER_RETURN_IF_ERROR(index_->Write(st->tracks, st->failures));
  st->written += st->tracks.size() + st->failures.size();
  st->tracks.clear();
  st->failures.clear();
  // Tests kill the job here to prove a resumed run loses nothing.
  core::FaultPoint("index.written", st->written);
  return core::Status::Ok();
}

// Protocol steps 4-6 of the header: the scan's outcome, prune, ANN, stats.
core::Status IndexCoordinator::Finish(RunState* st) {
  IndexJobSummary& summary = st->summary;
  summary.catalogue = st->source.seen();
  summary.skipped = st->source.skipped();
  if (!st->source.status().ok()) {
    return core::Status::IOError(
        "catalogue scan ended early (" + std::to_string(summary.catalogue) +
        " entries read; their results are written): " +
        st->source.status().message());
  }
  if (!st->scheduler.Done()) {
    return core::Status::Internal(
        "index: workers finished with tracks still in flight");
  }
  if (options_.prune) {
    MER_ASSIGN_OR_RETURN(summary.pruned,
                         PruneIndex(*index_, options_.catalogue));
  }
  if (options_.build_ann) {
    MER_ASSIGN_OR_RETURN(bool fresh, index_->AnnIsFresh());
    if (!fresh) {
      MER_ASSIGN_OR_RETURN(storage::IndexStats before, index_->Stats());
      if (before.embedding_dim > 0) {
        MER_RETURN_IF_ERROR(index_->BuildAnn());
        summary.ann_built = true;
      }
    }
  }
  MER_ASSIGN_OR_RETURN(summary.stats, index_->Stats());
  // Themes (sub-clusters of each quadrant) for `mer serve` and `mer query
  // --themes`, recomputed when the tracks changed since they were stored.
  MER_ASSIGN_OR_RETURN(auto themes, storage::query::LoadThemes(*index_));
  if (!themes || summary.ann_built || themes->tracks != summary.stats.tracks) {
    MER_ASSIGN_OR_RETURN(storage::query::ThemeSet set,
                         storage::query::ComputeThemes(*index_));
    MER_RETURN_IF_ERROR(storage::query::StoreThemes(*index_, set));
  }
  return core::Status::Ok();
}

}  // namespace mer::coordinator
