// InferencePipeline: a worker's track-to-result pipeline for `mer index`
// (DESIGN.md §3, CONVENTIONS rule 11):
//
//   Submit(item) -> [input queue] -> decode threads: fingerprint, FFmpeg
//   decode, log-mel (FFTW3), windows -> [bounded queue of decoded tracks]
//   -> one model thread: the windows of several tracks in one batch,
//   forward and per-track aggregation (V, A, quadrant probabilities,
//   embedding, timeline) -> [output queue] -> TryPop()
//
// With `model_thread_decodes`, the model thread decodes tracks itself until
// the decoded ones waiting for it fill a batch (or nothing is left to
// decode, or the queue is full), so the core it holds never idles
// while there is work (one rank on 2 cores: 1 decode thread + the model
// thread keep both cores busy without a third thread competing for them).
//
// Windows and the model step are the one track-inference path
// (common/nn/track_inference.h, plan from WindowPlanFor), so an indexed
// track gets exactly the numbers `mer predict` prints for it.
//
// Every track comes out exactly once, as a storage::TrackResult or as a
// failure Status naming the file ("song.mp3: too short", "...: Invalid data
// found when processing input", "model m-...: ..."). A failing track never
// stops the pipeline; when a batch of several tracks fails in the model, each
// track is run again alone so that only the bad one fails.
//
// Memory: the decoded queue holds at most `queue_tracks` tracks (their
// windows, float32); the input queue holds what the caller submitted (the
// work protocol bounds it by chunk_size * prefetch_chunks).
//
// Ownership: owns its threads and the model. Thread-safety: Submit, TryPop,
// WaitForOutput and pending() may be called from any one thread (the rank's
// MPI thread); the internal queues are guarded by `mu_`.
#ifndef MER_WORKER_INDEX_INFERENCE_PIPELINE_H_
#define MER_WORKER_INDEX_INFERENCE_PIPELINE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/comm/work_item.h"
#include "common/core/result.h"
#include "common/dsp/feature_extractor.h"
#include "common/dsp/front_end_params.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/predictor.h"
#include "common/nn/track_inference.h"
#include "storage/track_result.h"
#include "worker/track_features.h"

namespace mer::worker {

struct InferencePipelineOptions {
  // The model bundle (.merm). Required.
  std::string model_path;
  // Batch size (windows per forward), LibTorch threads, device.
  nn::PredictorOptions predictor;
  // Decode + log-mel threads; 0 with model_thread_decodes (the model
  // thread then decodes every track itself: a worker with one core).
  // Default: 2
  int decode_threads = 2;
  // The model thread decodes tracks until the decoded ones fill a batch
  // (a CPU model: its core would idle). Default: true
  bool model_thread_decodes = true;
  // Decoded tracks waiting for the model, at most (the model thread's own
  // decode may add one more). Default: 8
  size_t queue_tracks = 8;
  // Too-short limit and decode length (TrackFeatureOptions).
  TrackFeatureOptions track;
  // Per-track deadline: timeout_seconds + timeout_seconds_per_mb x the
  // file's size in MB; 0 = none. At the deadline FFmpeg's interrupt
  // callback stops the decode and the track fails "timed out after N s";
  // a read that does not come back at all (a stuck filesystem) is left
  // behind 5 s later by the watchdog: the track fails the same way and a
  // fresh decode thread takes the abandoned one's place. Default: 60, 2
  double timeout_seconds = 60;
  double timeout_seconds_per_mb = 2;

  [[nodiscard]] core::Status Validate() const;
};

// One finished track.
struct PipelineOutput {
  comm::WorkItem item;
  core::Status status;          // not OK: the track failed, and why
  storage::TrackResult result;  // when status is OK
};

class InferencePipeline {
 public:
  // Loads the model, checks that it is an emotion model with 4 quadrants
  // and a front end this build computes, and starts the threads.
  static core::Result<std::unique_ptr<InferencePipeline>> Open(
      const InferencePipelineOptions& options);
  // Stops the threads; unfinished tracks are dropped.
  ~InferencePipeline();
  InferencePipeline(const InferencePipeline&) = delete;
  InferencePipeline& operator=(const InferencePipeline&) = delete;

  // Queues a track; never blocks.
  void Submit(comm::WorkItem item);
  // A finished track, or nullopt when none is ready.
  std::optional<PipelineOutput> TryPop();
  // Waits up to `timeout` for a finished track; true when one is ready.
  bool WaitForOutput(std::chrono::milliseconds timeout);
  // Submitted tracks not yet popped.
  size_t pending() const;

  const nn::BundleManifest& manifest() const { return manifest_; }
  const dsp::FrontEndParams& front_end() const { return features_.front_end; }

 private:
  // What the watchdog knows of one decode thread. Shared with the thread,
  // so a thread left behind never touches the pipeline again.
  struct DecodeSlot {
    std::mutex mu;
    bool busy = false;       // decoding `item`
    bool abandoned = false;  // left behind by the watchdog
    comm::WorkItem item;
    std::chrono::steady_clock::time_point started;
    double limit_seconds = 0;  // 0: no deadline
  };
  // A decoded track waiting for the model.
  struct Decoded {
    comm::WorkItem item;
    storage::Fingerprint fingerprint;
    double seconds = 0;
    nn::TrackWindows windows;
  };
  explicit InferencePipeline(const InferencePipelineOptions& options);
  // Starts one decode thread with a fresh slot. Caller holds mu_.
  void StartDecoderLocked();
  // Starts the model thread; with model_thread_decodes, with a fresh slot
  // the watchdog watches like a decode thread's. Caller holds mu_.
  void StartModelLocked();
  void DecodeLoop(std::shared_ptr<DecodeSlot> slot);
  // `slot`: null when the model thread never decodes.
  void ModelLoop(std::shared_ptr<DecodeSlot> slot);
  // Moves the next input into `slot` (busy, deadline running). Caller
  // holds mu_; input_ is not empty.
  comm::WorkItem TakeInputLocked(DecodeSlot& slot);
  // Decodes `item` (taken into `slot`) and queues it for the model, waiting
  // for room when `wait_for_room`, or emits its failure. False: the thread
  // must return at once (left behind by the watchdog, or stopping).
  bool DecodeTaken(DecodeSlot& slot, dsp::FeatureExtractor& extractor,
                   comm::WorkItem item, bool wait_for_room);
  // True when the thread of `slot` is past its track's deadline and grace:
  // the slot is then abandoned and its track failed. Caller holds mu_.
  bool AbandonIfStuckLocked(DecodeSlot& slot,
                            std::chrono::steady_clock::time_point now);
  // Once a second: fails and leaves behind tracks past their deadline.
  void WatchdogLoop();
  // The deadline of a file of `bytes` bytes, s (0: none).
  double LimitFor(uint64_t bytes) const;
  void Emit(PipelineOutput out);
  // Decodes one track into `d` (fingerprint, PCM, log-mel), touching no
  // member: a thread left behind must not. A failure names the file.
  static core::Status Decode(const comm::WorkItem& item,
                             dsp::FeatureExtractor& extractor,
                             TrackFeatureOptions track, DecodeSlot& slot,
                             double timeout, double per_mb, Decoded* d,
                             TrackFeatures* f);
  // Runs the model over `batch` and emits one output per track.
  void RunBatch(std::vector<Decoded>& batch);
  core::Status RunTracks(std::vector<Decoded>& batch, size_t first,
                         size_t count, std::vector<PipelineOutput>* out);
  // The index record of a decoded track and its prediction.
  PipelineOutput Output(const Decoded& d, nn::TrackPrediction pred,
                        int64_t now) const;

  const InferencePipelineOptions options_;
  nn::BundleManifest manifest_;
  dsp::FeatureParams features_;  // the model's front end and descriptors
  std::optional<nn::Predictor> predictor_;      // model thread only
  std::optional<nn::TrackInference> inference_;  // Window: any thread

  mutable std::mutex mu_;
  std::condition_variable input_cv_;    // input_ not empty, or stop_
  std::condition_variable decoded_cv_;  // decoded_ not empty, or stop_
  std::condition_variable space_cv_;    // decoded_ has room, or stop_
  std::condition_variable output_cv_;   // output_ not empty
  std::condition_variable watchdog_cv_;  // stop_
  std::deque<comm::WorkItem> input_;     // guarded by mu_
  std::deque<Decoded> decoded_;          // guarded by mu_
  size_t decoded_windows_ = 0;           // their windows; guarded by mu_
  std::deque<PipelineOutput> output_;    // guarded by mu_
  size_t pending_ = 0;                   // guarded by mu_
  bool stop_ = false;                    // guarded by mu_

  // Decode threads and their slots, index for index; guarded by mu_ (the
  // watchdog replaces abandoned ones).
  std::vector<std::thread> decoders_;
  std::vector<std::shared_ptr<DecodeSlot>> slots_;
  // The model thread and its decode slot (null unless
  // model_thread_decodes); guarded by mu_ like the decoders.
  std::thread model_thread_;
  std::shared_ptr<DecodeSlot> model_slot_;
  std::thread watchdog_thread_;
};

}  // namespace mer::worker

#endif  // MER_WORKER_INDEX_INFERENCE_PIPELINE_H_
