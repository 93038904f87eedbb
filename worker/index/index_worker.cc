#include "worker/index/index_worker.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <variant>

#include "common/core/fault_point.h"
#include "common/core/host.h"

#include "worker/index/result_payload_encoder.h"

namespace mer::worker {

core::Result<IndexWorkerSummary> RunIndexWorker(
    comm::WorkerTransport& transport, InferencePipeline& pipeline,
    const IndexWorkerOptions& options) {
  IndexWorkerSummary summary;
  const size_t capacity = options.chunk_size * options.prefetch_chunks;
  bool outstanding = false;  // a RequestWork without its reply yet
  bool no_more_work = false;
  const std::string host = core::HostName();
  const auto heartbeat_period =
      std::chrono::duration<double>(options.heartbeat_seconds);
  // One period ago: the first heartbeat goes out at once.
  auto last_heartbeat = std::chrono::steady_clock::now() -
                        std::chrono::duration_cast<
                            std::chrono::steady_clock::duration>(
                            heartbeat_period);
  for (;;) {
    bool busy = false;
    // Tests hang a worker's loop here (its heartbeats stop).
    core::FaultPoint("index.worker_loop",
                     summary.tracks_ok + summary.tracks_failed);
    if (const auto now = std::chrono::steady_clock::now();
        now - last_heartbeat >= heartbeat_period) {
      MER_RETURN_IF_ERROR(transport.Send(comm::Heartbeat{host}));
      last_heartbeat = now;
    }
    // Step 3: stream finished tracks.
    while (auto out = pipeline.TryPop()) {
      busy = true;
      if (out->status.ok()) {
        ++summary.tracks_ok;
        summary.audio_seconds += out->result.duration_seconds;
        MER_RETURN_IF_ERROR(transport.Send(comm::TrackResult{
            out->item.track_id, out->item.seq,
            EncodeResultPayload(out->result)}));
      } else {
        ++summary.tracks_failed;
        spdlog::debug("{}: failed: {}", out->item.track_id,
                      out->status.message());
        MER_RETURN_IF_ERROR(transport.Send(comm::TrackFailure{
            out->item.track_id, out->item.seq, out->status.message()}));
      }
    }
    const size_t unfinished = pipeline.pending();
    // Step 4.
    if (no_more_work && unfinished == 0) {
      struct rusage usage {};
      ::getrusage(RUSAGE_SELF, &usage);
      const uint64_t cpu_ms =
          static_cast<uint64_t>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) *
              1000 +
          static_cast<uint64_t>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
              1000;
      MER_RETURN_IF_ERROR(transport.Send(comm::WorkerDone{
          summary.tracks_ok, summary.tracks_failed, cpu_ms}));
      return summary;
    }
    // Step 1: ask before running dry.
    if (!outstanding && !no_more_work && unfinished < options.chunk_size) {
      MER_RETURN_IF_ERROR(transport.Send(
          comm::RequestWork{static_cast<uint32_t>(capacity - unfinished)}));
      outstanding = true;
    }
    // Replies: poll without waiting while the pipeline has work, so results
    // are sent as soon as they come out.
    const auto wait = std::chrono::milliseconds(unfinished > 0 ? 0 : 50);
    MER_ASSIGN_OR_RETURN(std::optional<comm::WorkMessage> m,
                         transport.Receive(wait));
    if (m) {
      busy = true;
      if (auto* chunk = std::get_if<comm::WorkChunk>(&*m)) {
        outstanding = false;
        for (comm::WorkItem& item : chunk->items) {
          pipeline.Submit(std::move(item));
        }
      } else if (std::holds_alternative<comm::NoMoreWork>(*m)) {
        outstanding = false;
        no_more_work = true;
      } else {
        return core::Status::Internal(
            "index worker: unexpected message from the coordinator");
      }
    }
    if (!busy && unfinished > 0) {
      pipeline.WaitForOutput(std::chrono::milliseconds(5));
    }
  }
}

}  // namespace mer::worker
