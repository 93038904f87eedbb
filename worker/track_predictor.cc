#include "worker/track_predictor.h"

#include <cmath>

#include "common/dsp/spectrogram.h"
#include "common/nn/track_inference.h"

namespace mer::worker {

struct TrackPredictor::Impl {
  Impl(nn::Predictor p, const dsp::FeatureParams& features,
       const TrackPredictorOptions& o)
      : predictor(std::move(p)),
        extractor(features),
        options(o),
        inference(&predictor, WindowPlanFor(predictor.manifest().config,
                                            features.front_end)) {}

  nn::Predictor predictor;
  dsp::FeatureExtractor extractor;
  TrackPredictorOptions options;
  nn::TrackInference inference;  // borrows `predictor`
};

TrackPredictor::TrackPredictor(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
TrackPredictor::TrackPredictor(TrackPredictor&&) noexcept = default;
TrackPredictor& TrackPredictor::operator=(TrackPredictor&&) noexcept = default;
TrackPredictor::~TrackPredictor() = default;

core::Result<TrackPredictor> TrackPredictor::Open(
    const std::string& model_path, const TrackPredictorOptions& options) {
  MER_ASSIGN_OR_RETURN(nn::Predictor predictor,
                       nn::Predictor::Open(model_path, options.predictor));
  MER_ASSIGN_OR_RETURN(dsp::FeatureParams features,
                       FeatureParamsFor(predictor.manifest(), model_path));
  MER_RETURN_IF_ERROR(
      WindowPlanFor(predictor.manifest().config, features.front_end)
          .Validate()
          .WithContext(model_path));
  return TrackPredictor(
      std::make_unique<Impl>(std::move(predictor), features, options));
}

const nn::BundleManifest& TrackPredictor::manifest() const {
  return impl_->predictor.manifest();
}
const dsp::FrontEndParams& TrackPredictor::front_end() const {
  return impl_->extractor.params().front_end;
}
const dsp::FeatureParams& TrackPredictor::features() const {
  return impl_->extractor.params();
}
const nn::WindowPlan& TrackPredictor::window_plan() const {
  return impl_->inference.plan();
}

core::Result<nn::TrackPrediction> TrackPredictor::PredictMel(const float* mel,
                                                             int n_mels,
                                                             int n_frames) {
  return impl_->inference.PredictMel(mel, n_mels, n_frames);
}

core::Result<nn::TrackPrediction> TrackPredictor::PredictFile(
    const std::string& path, double* seconds) {
  MER_ASSIGN_OR_RETURN(
      TrackFeatures f,
      ComputeTrackFeatures(path, impl_->extractor, impl_->options.track));
  if (seconds) *seconds = f.seconds;
  auto p =
      PredictMel(f.log_mel.data.data(), f.log_mel.n_mels, f.log_mel.n_frames);
  if (!p.ok()) return p.status().WithContext(path);
  return p;
}

namespace {
// names[i], or the index when the manifest names fewer outputs.
std::string NameOr(const std::vector<std::string>& names, size_t i) {
  return i < names.size() ? names[i] : std::to_string(i);
}
}  // namespace

nlohmann::json PredictionJson(const std::string& path,
                              const nn::TrackPrediction& p,
                              const nn::BundleManifest& manifest,
                              double seconds) {
  auto r4 = [](double v) { return std::round(v * 1e4) / 1e4; };
  nlohmann::json probs = nlohmann::json::object();
  for (size_t c = 0; c < p.quadrant_probs.size(); ++c) {
    probs[NameOr(manifest.label_names, c)] = r4(p.quadrant_probs[c]);
  }
  nlohmann::json timeline = nlohmann::json::array();
  for (const auto& t : p.timeline) {
    timeline.push_back({r4(t.start_seconds), r4(t.valence), r4(t.arousal)});
  }
  const std::string q =
      NameOr(manifest.label_names, static_cast<size_t>(p.quadrant));
  nlohmann::json j = {{"path", path},
                      {"quadrant", q},
                      {"quadrant_code", "Q" + std::to_string(p.quadrant + 1)},
                      {"probabilities", probs},
                      {"valence", r4(p.valence)},
                      {"arousal", r4(p.arousal)},
                      {"valence_std", r4(p.valence_std)},
                      {"arousal_std", r4(p.arousal_std)},
                      {"seconds", r4(seconds)},
                      {"segments", p.num_segments},
                      {"model_id", manifest.model_id},
                      {"timeline", timeline}};
  if (!p.tag_probs.empty()) {
    nlohmann::json tags = nlohmann::json::object();
    for (size_t k = 0; k < p.tag_probs.size(); ++k) {
      tags[NameOr(manifest.tag_names, k)] = r4(p.tag_probs[k]);
    }
    j["tags"] = tags;
  }
  return j;
}

}  // namespace mer::worker
