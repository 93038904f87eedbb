#include "common/nn/track_inference.h"

#include <algorithm>
#include <new>
#include <string>

#include "common/core/check.h"
#include "common/core/emotion.h"
#include "common/nn/va_calibration.h"

namespace mer::nn {

TrackInference::TrackInference(Predictor* predictor, WindowPlan plan)
    : predictor_(predictor), plan_(plan) {
  MER_CHECK(predictor_ != nullptr);
  MER_CHECK(plan_.Validate().ok());
}

TrackWindows TrackInference::Window(const float* mel, int n_mels,
                                    int n_frames) const {
  // Rows past the model's (descriptors it has no branch for) are a suffix
  // of the row-major data: leave them out.
  const int rows =
      std::min(n_mels, predictor_->manifest().config.InputRows());
  return MakeWindows(mel, rows, n_frames, plan_);
}

core::Result<std::vector<TrackPrediction>> TrackInference::Predict(
    std::span<const TrackWindows* const> tracks) {
  for (const TrackWindows* t : tracks) {
    if (t->count() == 0) {
      return core::Status::InvalidArgument("track inference",
                                           "a track has no audio frames");
    }
    if (t->frames != plan_.frames || t->n_mels < 1) {
      return core::Status::InvalidArgument(
          "track inference", "windows of " + std::to_string(t->frames) +
                                 " frames, the plan says " +
                                 std::to_string(plan_.frames));
    }
  }
  std::vector<TrackPrediction> out;
  out.reserve(tracks.size());
  for (const TrackWindows* t : tracks) {
    MER_ASSIGN_OR_RETURN(TrackPrediction p, PredictOne(*t));
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

// The first `rows` rows of `from` appended to `to` (outputs of one model).
void AppendRows(const SegmentOutputs& from, int rows, SegmentOutputs* to) {
  if (to->num_segments == 0) {
    to->num_classes = from.num_classes;
    to->embedding_dim = from.embedding_dim;
    to->num_tags = from.num_tags;
  }
  auto append = [rows](const std::vector<float>& src, int width,
                       std::vector<float>* dst) {
    dst->insert(dst->end(), src.begin(),
                src.begin() + static_cast<size_t>(rows) * width);
  };
  append(from.probs, from.num_classes, &to->probs);
  append(from.va, 2, &to->va);
  append(from.embeddings, from.embedding_dim, &to->embeddings);
  append(from.tag_probs, from.num_tags, &to->tag_probs);
  to->num_segments += rows;
}

}  // namespace

core::Result<TrackPrediction> TrackInference::PredictOne(
    const TrackWindows& t) {
  const int batch = predictor_->batch_size();
  const int n = t.count(), full = n / batch * batch, rest = n - full;
  const size_t window_floats = static_cast<size_t>(t.n_mels) * t.frames;
  // The per-track boundary (CONVENTIONS rule 7): running out of memory is
  // this track's failure, never the caller's thread's end.
  try {
    SegmentOutputs outputs;
    if (full > 0) {
      MER_ASSIGN_OR_RETURN(
          outputs, predictor_->Run(t.data.data(), full, t.n_mels, t.frames));
    }
    if (rest > 0) {
      const int padded =
          std::min(batch, (rest + kPassAlign - 1) / kPassAlign * kPassAlign);
      std::vector<float> windows(t.data.begin() + full * window_floats,
                                 t.data.end());
      windows.resize(padded * window_floats, 0.0f);
      MER_ASSIGN_OR_RETURN(
          SegmentOutputs tail,
          predictor_->Run(windows.data(), padded, t.n_mels, t.frames));
      AppendRows(tail, rest, &outputs);
    }
    MER_ASSIGN_OR_RETURN(TrackPrediction p,
                         AggregateSegments(outputs, 0, n, t.start_seconds));
    const BundleManifest& m = predictor_->manifest();
    if (m.config.quadrant_head == "va") {
      // One emotion per track: the mood is the quadrant of the track's V-A
      // point, its probabilities the calibrated function of it.
      const std::array<float, 4> q =
          QuadrantProbs(p.valence, p.arousal, m.calibration);
      p.quadrant_probs.assign(q.begin(), q.end());
      p.quadrant = static_cast<int>(core::QuadrantOf(p.valence, p.arousal));
    }
    return p;
  } catch (const std::bad_alloc&) {
    return core::Status::Internal("model " + predictor_->manifest().model_id,
                                  "out of memory");
  }
}

core::Result<TrackPrediction> TrackInference::PredictMel(const float* mel,
                                                         int n_mels,
                                                         int n_frames) {
  if (n_frames < 1) {
    return core::Status::InvalidArgument("spectrogram", "no frames");
  }
  const TrackWindows w = Window(mel, n_mels, n_frames);
  const TrackWindows* one[] = {&w};
  MER_ASSIGN_OR_RETURN(std::vector<TrackPrediction> p, Predict(one));
  return std::move(p.front());
}

}  // namespace mer::nn
