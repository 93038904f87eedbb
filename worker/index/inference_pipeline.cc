#include "worker/index/inference_pipeline.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <new>
#include <utility>

#include "storage/track_fingerprint.h"

namespace mer::worker {

core::Status InferencePipelineOptions::Validate() const {
  if (model_path.empty()) {
    return core::Status::InvalidArgument("--model is required");
  }
  if (decode_threads < 1) {
    return core::Status::InvalidArgument("decode threads must be >= 1");
  }
  if (queue_tracks < 1) {
    return core::Status::InvalidArgument("queue_tracks must be >= 1");
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
  auto fe = dsp::FrontEndParams::FromJson(m.front_end);
  if (!fe.ok()) {
    return core::Status::InvalidArgument(
        who, "has no usable front-end parameters: " + fe.status().message());
  }
  p->front_end_ = *fe;
  MER_RETURN_IF_ERROR(nn::CheckFrontEnd(m, p->front_end_.Digest()));
  if (p->front_end_.n_mels != m.config.n_mels) {
    return core::Status::InvalidArgument(
        who, "front end has " + std::to_string(p->front_end_.n_mels) +
                 " mel bands, the model takes " +
                 std::to_string(m.config.n_mels));
  }
  const nn::WindowPlan plan = WindowPlanFor(m.config, p->front_end_);
  MER_RETURN_IF_ERROR(plan.Validate().WithContext(who));
  p->inference_.emplace(&*p->predictor_, plan);
  for (int i = 0; i < options.decode_threads; ++i) {
    p->decoders_.emplace_back(&InferencePipeline::DecodeLoop, p.get());
  }
  p->model_thread_ = std::thread(&InferencePipeline::ModelLoop, p.get());
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

core::Status InferencePipeline::Decode(const comm::WorkItem& item,
                                      dsp::LogMelExtractor& extractor,
                                      Decoded* d) const {
  MER_ASSIGN_OR_RETURN(d->fingerprint, storage::FingerprintFile(item.path));
  MER_ASSIGN_OR_RETURN(TrackFeatures f,
                       ComputeTrackFeatures(item.path, extractor, options_.track));
  d->seconds = f.seconds;
  d->windows = inference_->Window(f.log_mel.data.data(), f.log_mel.n_mels,
                                  f.log_mel.n_frames);
  if (d->windows.count() == 0) {
    return core::Status::InvalidArgument(item.path, "no audio frames");
  }
  return core::Status::Ok();
}

void InferencePipeline::DecodeLoop() {
  dsp::LogMelExtractor extractor(front_end_);
  for (;;) {
    comm::WorkItem item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      input_cv_.wait(lock, [&] { return stop_ || !input_.empty(); });
      if (stop_) return;
      item = std::move(input_.front());
      input_.pop_front();
    }
    // The per-track boundary (CONVENTIONS rule 7): any failure is a value.
    Decoded d;
    core::Status status;
    try {
      status = Decode(item, extractor, &d);
    } catch (const std::bad_alloc&) {
      status = core::Status::Internal(item.path, "out of memory");
    } catch (const std::exception& e) {
      status = core::Status::Internal(item.path, e.what());
    }
    if (!status.ok()) {
      Emit(PipelineOutput{std::move(item), status, {}});
      continue;
    }
    d.item = std::move(item);
    {
      std::unique_lock<std::mutex> lock(mu_);
      space_cv_.wait(lock, [&] {
        return stop_ || decoded_.size() < options_.queue_tracks;
      });
      if (stop_) return;
      decoded_.push_back(std::move(d));
    }
    decoded_cv_.notify_one();
  }
}

void InferencePipeline::ModelLoop() {
  const size_t batch_windows =
      static_cast<size_t>(std::max(1, options_.predictor.batch_size));
  for (;;) {
    std::vector<Decoded> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      decoded_cv_.wait(lock, [&] { return stop_ || !decoded_.empty(); });
      if (stop_) return;
      // Windows of several tracks share a forward pass: take what is ready
      // up to a full batch (never wait for more: latency over fill).
      size_t windows = 0;
      while (!decoded_.empty() && windows < batch_windows) {
        windows += static_cast<size_t>(decoded_.front().windows.count());
        batch.push_back(std::move(decoded_.front()));
        decoded_.pop_front();
      }
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
