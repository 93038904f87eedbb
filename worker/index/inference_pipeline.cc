#include "worker/index/inference_pipeline.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <new>
#include <utility>

#include "common/core/fault_point.h"
#include "storage/track_fingerprint.h"

namespace mer::worker {

core::Status InferencePipelineOptions::Validate() const {
  if (model_path.empty()) {
    return core::Status::InvalidArgument("--model is required");
  }
  if (decode_threads < 0 || (decode_threads == 0 && !model_thread_decodes)) {
    return core::Status::InvalidArgument(
        "decode threads must be >= 1 (>= 0 when the model thread decodes)");
  }
  if (queue_tracks < 1) {
    return core::Status::InvalidArgument("queue_tracks must be >= 1");
  }
  if (!(timeout_seconds >= 0) || !(timeout_seconds_per_mb >= 0)) {
    return core::Status::InvalidArgument("track timeouts must be >= 0");
  }
  return predictor.Validate();
}

InferencePipeline::InferencePipeline(const InferencePipelineOptions& options)
    : options_(options) {}

core::Result<std::unique_ptr<InferencePipeline>> InferencePipeline::Open(
    const InferencePipelineOptions& options) {
  MER_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<InferencePipeline> p(new InferencePipeline(options));
  MER_ASSIGN_OR_RETURN(nn::Predictor predictor,
                       nn::Predictor::Open(options.model_path, options.predictor));
  p->manifest_ = predictor.manifest();
  p->predictor_.emplace(std::move(predictor));
  const nn::BundleManifest& m = p->manifest_;
  const std::string who = options.model_path + " (model " + m.model_id + ")";
  if (m.config.num_quadrants != 4) {
    return core::Status::InvalidArgument(
        who, "is not an emotion model: its quadrant head has " +
                 std::to_string(m.config.num_quadrants) + " classes, not 4");
  }
  MER_ASSIGN_OR_RETURN(p->features_, FeatureParamsFor(m, who));
  MER_RETURN_IF_ERROR(nn::CheckFrontEnd(m, p->features_.front_end.Digest()));
  const nn::WindowPlan plan = WindowPlanFor(m.config, p->features_.front_end);
  MER_RETURN_IF_ERROR(plan.Validate().WithContext(who));
  p->inference_.emplace(&*p->predictor_, plan);
  {
    std::lock_guard<std::mutex> lock(p->mu_);
    for (int i = 0; i < options.decode_threads; ++i) p->StartDecoderLocked();
    p->StartModelLocked();
  }
  if (options.timeout_seconds > 0) {
    p->watchdog_thread_ = std::thread(&InferencePipeline::WatchdogLoop, p.get());
  }
  return p;
}

InferencePipeline::~InferencePipeline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  input_cv_.notify_all();
  decoded_cv_.notify_all();
  space_cv_.notify_all();
  watchdog_cv_.notify_all();
  if (watchdog_thread_.joinable()) watchdog_thread_.join();
  for (std::thread& t : decoders_) t.join();
  if (model_thread_.joinable()) model_thread_.join();
}

void InferencePipeline::Submit(comm::WorkItem item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    input_.push_back(std::move(item));
    ++pending_;
  }
  input_cv_.notify_one();
  if (model_slot_ != nullptr) decoded_cv_.notify_one();  // it may help
}

std::optional<PipelineOutput> InferencePipeline::TryPop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (output_.empty()) return std::nullopt;
  PipelineOutput out = std::move(output_.front());
  output_.pop_front();
  --pending_;
  return out;
}

bool InferencePipeline::WaitForOutput(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return output_cv_.wait_for(lock, timeout, [&] { return !output_.empty(); });
}

size_t InferencePipeline::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_;
}

void InferencePipeline::Emit(PipelineOutput out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    output_.push_back(std::move(out));
  }
  output_cv_.notify_all();
}

double InferencePipeline::LimitFor(uint64_t bytes) const {
  if (options_.timeout_seconds <= 0) return 0;
  return options_.timeout_seconds +
         options_.timeout_seconds_per_mb * static_cast<double>(bytes) / 1e6;
}

core::Status InferencePipeline::Decode(const comm::WorkItem& item,
                                      dsp::FeatureExtractor& extractor,
                                      TrackFeatureOptions track,
                                      DecodeSlot& slot, double timeout,
                                      double per_mb, Decoded* d,
                                      TrackFeatures* f) {
  MER_ASSIGN_OR_RETURN(d->fingerprint, storage::FingerprintFile(item.path));
  if (timeout > 0) {
    track.timeout_seconds =
        timeout + per_mb * static_cast<double>(d->fingerprint.size) / 1e6;
    std::lock_guard<std::mutex> lock(slot.mu);
    slot.limit_seconds = track.timeout_seconds;
  }
  // Tests hang a read here (tests/integration/mer_faults_main.cc).
  core::FaultPoint("index.decode", item.seq);
  MER_ASSIGN_OR_RETURN(*f, ComputeTrackFeatures(item.path, extractor, track));
  d->seconds = f->seconds;
  return core::Status::Ok();
}

void InferencePipeline::StartDecoderLocked() {
  auto slot = std::make_shared<DecodeSlot>();
  slots_.push_back(slot);
  decoders_.emplace_back(&InferencePipeline::DecodeLoop, this, slot);
}

void InferencePipeline::StartModelLocked() {
  model_slot_ = options_.model_thread_decodes ? std::make_shared<DecodeSlot>()
                                              : nullptr;
  model_thread_ = std::thread(&InferencePipeline::ModelLoop, this, model_slot_);
}

comm::WorkItem InferencePipeline::TakeInputLocked(DecodeSlot& slot) {
  comm::WorkItem item = std::move(input_.front());
  input_.pop_front();
  std::lock_guard<std::mutex> slot_lock(slot.mu);
  slot.busy = true;
  slot.item = item;
  slot.started = std::chrono::steady_clock::now();
  slot.limit_seconds = options_.timeout_seconds;  // until the size is known
  return item;
}

bool InferencePipeline::DecodeTaken(DecodeSlot& slot,
                                    dsp::FeatureExtractor& extractor,
                                    comm::WorkItem item, bool wait_for_room) {
  // Read before the decode: a thread left behind touches no member after.
  const TrackFeatureOptions track = options_.track;
  const double timeout = options_.timeout_seconds;
  const double per_mb = options_.timeout_seconds_per_mb;
  // The per-track boundary (CONVENTIONS rule 7): any failure is a value.
  Decoded d;
  TrackFeatures f;
  core::Status status;
  try {
    status = Decode(item, extractor, track, slot, timeout, per_mb, &d, &f);
  } catch (const std::bad_alloc&) {
    status = core::Status::Internal(item.path, "out of memory");
  } catch (const std::exception& e) {
    status = core::Status::Internal(item.path, e.what());
  }
  {
    std::lock_guard<std::mutex> slot_lock(slot.mu);
    // Left behind: the track was failed for us and the pipeline may be
    // gone; touch nothing of it.
    if (slot.abandoned) return false;
    slot.busy = false;
  }
  if (status.ok()) {
    d.windows = inference_->Window(f.log_mel.data.data(), f.log_mel.n_mels,
                                   f.log_mel.n_frames);
    if (d.windows.count() == 0) {
      status = core::Status::InvalidArgument(item.path, "no audio frames");
    }
  }
  if (!status.ok()) {
    Emit(PipelineOutput{std::move(item), status, {}});
    return true;
  }
  d.item = std::move(item);
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (wait_for_room) {
      space_cv_.wait(lock, [&] {
        return stop_ || decoded_.size() < options_.queue_tracks;
      });
    }
    if (stop_) return false;
    decoded_windows_ += static_cast<size_t>(d.windows.count());
    decoded_.push_back(std::move(d));
  }
  decoded_cv_.notify_one();
  return true;
}

void InferencePipeline::DecodeLoop(std::shared_ptr<DecodeSlot> slot) {
  dsp::FeatureExtractor extractor(features_);
  for (;;) {
    comm::WorkItem item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      input_cv_.wait(lock, [&] { return stop_ || !input_.empty(); });
      if (stop_) return;
      item = TakeInputLocked(*slot);
    }
    if (!DecodeTaken(*slot, extractor, std::move(item), true)) return;
  }
}

void InferencePipeline::WatchdogLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    watchdog_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
    if (stop_) return;
    const auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!AbandonIfStuckLocked(*slots_[i], now)) continue;
      decoders_[i].detach();
      decoders_.erase(decoders_.begin() + static_cast<std::ptrdiff_t>(i));
      slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
      StartDecoderLocked();
      --i;
      output_cv_.notify_all();
    }
    // The model thread, stuck in a read of its own: a fresh one takes its
    // place (the old one touches nothing when the read returns).
    if (model_slot_ != nullptr && AbandonIfStuckLocked(*model_slot_, now)) {
      spdlog::warn("the model thread was the one in that read; a fresh "
                   "model thread takes its place");
      model_thread_.detach();
      StartModelLocked();
      output_cv_.notify_all();
    }
  }
}

bool InferencePipeline::AbandonIfStuckLocked(
    DecodeSlot& slot, std::chrono::steady_clock::time_point now) {
  constexpr double kGraceSeconds = 5;  // for the interrupt callback first
  std::lock_guard<std::mutex> slot_lock(slot.mu);
  if (!slot.busy || slot.abandoned || slot.limit_seconds <= 0) return false;
  const double ran = std::chrono::duration<double>(now - slot.started).count();
  if (ran < slot.limit_seconds + kGraceSeconds) return false;
  slot.abandoned = true;
  char why[128];
  std::snprintf(why, sizeof why,
                "timed out after %.0f s (the read never returned; its "
                "thread was left behind)",
                ran);
  spdlog::warn("{}: {}", slot.item.path, why);
  output_.push_back(PipelineOutput{
      slot.item, core::Status::IOError(slot.item.path, why), {}});
  return true;
}

void InferencePipeline::ModelLoop(std::shared_ptr<DecodeSlot> slot) {
  const size_t batch_windows =
      static_cast<size_t>(std::max(1, options_.predictor.batch_size));
  std::optional<dsp::FeatureExtractor> extractor;  // when it first helps
  for (;;) {
    std::vector<Decoded> batch;
    comm::WorkItem item;
    bool help = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // The model runs when decoded tracks wait for it; a model thread that
      // decodes first decodes until they fill a batch (or nothing is left
      // to decode, or the queue is full), so that on a worker without
      // decode threads batches still span tracks.
      const auto model_ready = [&] {
        return !decoded_.empty() &&
               (slot == nullptr || input_.empty() ||
                decoded_windows_ >= batch_windows ||
                decoded_.size() >= options_.queue_tracks);
      };
      decoded_cv_.wait(lock, [&] {
        return stop_ || model_ready() || (slot != nullptr && !input_.empty());
      });
      if (stop_) return;
      if (!model_ready()) {
        // Nothing for the model yet: decode a track rather than idle.
        item = TakeInputLocked(*slot);
        help = true;
      } else {
        // Windows of several tracks share a forward pass: take what is
        // ready, up to a full batch.
        size_t windows = 0;
        while (!decoded_.empty() && windows < batch_windows) {
          windows += static_cast<size_t>(decoded_.front().windows.count());
          decoded_windows_ -= static_cast<size_t>(decoded_.front().windows.count());
          batch.push_back(std::move(decoded_.front()));
          decoded_.pop_front();
        }
      }
    }
    if (help) {
      if (!extractor) extractor.emplace(features_);
      // Never waits for room: this thread is the one that makes it.
      if (!DecodeTaken(*slot, *extractor, std::move(item), false)) return;
      continue;
    }
    space_cv_.notify_all();
    RunBatch(batch);
  }
}

void InferencePipeline::RunBatch(std::vector<Decoded>& batch) {
  std::vector<PipelineOutput> out;
  core::Status s = RunTracks(batch, 0, batch.size(), &out);
  if (!s.ok() && batch.size() > 1) {
    // Find the bad track: run each alone.
    spdlog::debug("model batch of {} tracks failed ({}); retrying one by one",
                  batch.size(), s.ToString());
    out.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      std::vector<PipelineOutput> one;
      core::Status si = RunTracks(batch, i, 1, &one);
      if (si.ok()) {
        out.push_back(std::move(one.front()));
      } else {
        out.push_back(PipelineOutput{batch[i].item,
                                     core::Status::Internal(batch[i].item.path, si.message()),
                                     {}});
      }
    }
  } else if (!s.ok()) {
    out.push_back(PipelineOutput{
        batch[0].item, core::Status::Internal(batch[0].item.path, s.message()),
        {}});
  }
  for (PipelineOutput& o : out) Emit(std::move(o));
}

core::Status InferencePipeline::RunTracks(std::vector<Decoded>& batch,
                                          size_t first, size_t count,
                                          std::vector<PipelineOutput>* out) {
  std::vector<const nn::TrackWindows*> tracks;
  for (size_t i = first; i < first + count; ++i) {
    tracks.push_back(&batch[i].windows);
  }
  std::vector<nn::TrackPrediction> preds;
  try {
    MER_ASSIGN_OR_RETURN(preds, inference_->Predict(tracks));
  } catch (const std::exception& e) {
    return core::Status::Internal("model " + manifest_.model_id, e.what());
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (size_t i = 0; i < count; ++i) {
    out->push_back(Output(batch[first + i], std::move(preds[i]), now));
  }
  return core::Status::Ok();
}

PipelineOutput InferencePipeline::Output(const Decoded& d,
                                         nn::TrackPrediction pred,
                                         int64_t now) const {
  PipelineOutput o;
  o.item = d.item;
  storage::TrackResult& t = o.result;
  t.track_id = d.item.track_id;
  t.path = d.item.path;
  t.fingerprint = d.fingerprint;
  t.duration_seconds = d.seconds;
  t.valence = pred.valence;
  t.arousal = pred.arousal;
  for (int q = 0; q < 4; ++q) t.quadrant_probs[q] = pred.quadrant_probs[q];
  t.embedding = std::move(pred.embedding);
  t.timeline.reserve(pred.timeline.size());
  for (const nn::TimelinePoint& p : pred.timeline) {
    t.timeline.push_back({p.start_seconds, p.valence, p.arousal});
  }
  if (manifest_.tag_names.size() == pred.tag_probs.size()) {
    for (size_t k = 0; k < pred.tag_probs.size(); ++k) {
      t.tags.emplace_back(manifest_.tag_names[k], pred.tag_probs[k]);
    }
  }
  t.model_id = manifest_.model_id;
  t.indexed_at_unix = now;
  if (auto v = t.Validate(); !v.ok()) o.status = v.WithContext(d.item.path);
  return o;
}

}  // namespace mer::worker
