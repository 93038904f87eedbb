#include "worker/inference_pipeline.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <new>
#include <utility>

#include "common/nn/track_aggregator.h"
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
  if (p->front_end_.SegmentFrames() < m.config.MinFrames()) {
    return core::Status::InvalidArgument(
        who, "segments of " + std::to_string(p->front_end_.SegmentFrames()) +
                 " frames are shorter than the model's minimum " +
                 std::to_string(m.config.MinFrames()));
  }
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

void InferencePipeline::DecodeLoop() {
  dsp::LogMelExtractor extractor(front_end_);
  const int seg_frames = front_end_.SegmentFrames();
  const int hop_frames = front_end_.SegmentHopFrames();
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
      auto fp = storage::FingerprintFile(item.path);
      if (!fp.ok()) {
        status = fp.status();
      } else {
        d.fingerprint = *fp;
        auto f = ComputeTrackFeatures(item.path, extractor, options_.track);
        if (!f.ok()) {
          status = f.status();
        } else {
          d.seconds = f->seconds;
          d.segments = dsp::SegmentSpectrogram(f->log_mel, seg_frames,
                                               hop_frames);
          if (d.segments.n_segments == 0) {
            status = core::Status::InvalidArgument(item.path,
                                                   "no audio frames");
          }
        }
      }
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
  const size_t batch_segments =
      static_cast<size_t>(std::max(1, options_.predictor.batch_size));
  for (;;) {
    std::vector<Decoded> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      decoded_cv_.wait(lock, [&] { return stop_ || !decoded_.empty(); });
      if (stop_) return;
      // Segments of several tracks share a forward pass: take what is ready
      // up to a full batch (never wait for more: latency over fill).
      size_t segments = 0;
      while (!decoded_.empty() && segments < batch_segments) {
        segments += decoded_.front().segments.n_segments;
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
  const int n_mels = front_end_.n_mels;
  const int n_frames = front_end_.SegmentFrames();
  const size_t segment_size = static_cast<size_t>(n_mels) * n_frames;
  size_t total = 0;
  for (size_t i = first; i < first + count; ++i) {
    total += batch[i].segments.n_segments;
  }
  std::vector<float> buffer;
  const float* data = nullptr;
  if (count == 1) {
    data = batch[first].segments.data.data();
  } else {
    buffer.reserve(total * segment_size);
    for (size_t i = first; i < first + count; ++i) {
      const auto& d = batch[i].segments.data;
      buffer.insert(buffer.end(), d.begin(), d.end());
    }
    data = buffer.data();
  }
  nn::SegmentOutputs outputs;
  try {
    MER_ASSIGN_OR_RETURN(outputs, predictor_->Run(data, static_cast<int>(total),
                                                  n_mels, n_frames));
  } catch (const std::exception& e) {
    return core::Status::Internal("model " + manifest_.model_id, e.what());
  }
  const double seconds_per_frame =
      static_cast<double>(front_end_.hop_length) / front_end_.sample_rate;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  int row = 0;
  for (size_t i = first; i < first + count; ++i) {
    Decoded& d = batch[i];
    const int n = d.segments.n_segments;
    std::vector<float> starts(n);
    for (int k = 0; k < n; ++k) {
      starts[k] = static_cast<float>(d.segments.start_frames[k] * seconds_per_frame);
    }
    auto pred = nn::AggregateSegments(outputs, row, n, starts);
    row += n;
    PipelineOutput o;
    o.item = d.item;
    if (!pred.ok()) {
      o.status = core::Status::Internal(d.item.path, pred.status().message());
      out->push_back(std::move(o));
      continue;
    }
    storage::TrackResult& t = o.result;
    t.track_id = d.item.track_id;
    t.path = d.item.path;
    t.fingerprint = d.fingerprint;
    t.duration_seconds = d.seconds;
    t.valence = pred->valence;
    t.arousal = pred->arousal;
    for (int q = 0; q < 4; ++q) t.quadrant_probs[q] = pred->quadrant_probs[q];
    t.embedding = std::move(pred->embedding);
    t.timeline.reserve(pred->timeline.size());
    for (const nn::TimelinePoint& p : pred->timeline) {
      t.timeline.push_back({p.start_seconds, p.valence, p.arousal});
    }
    if (manifest_.tag_names.size() == pred->tag_probs.size()) {
      for (size_t k = 0; k < pred->tag_probs.size(); ++k) {
        t.tags.emplace_back(manifest_.tag_names[k], pred->tag_probs[k]);
      }
    }
    t.model_id = manifest_.model_id;
    t.indexed_at_unix = now;
    if (auto v = t.Validate(); !v.ok()) o.status = v;
    out->push_back(std::move(o));
  }
  return core::Status::Ok();
}

}  // namespace mer::worker
