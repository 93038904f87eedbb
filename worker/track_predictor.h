// TrackPredictor: a model bundle applied to whole tracks (files or log-mel
// spectrograms) through the one track-inference path
// (common/nn/track_inference.h) with the bundle's window plan
// (WindowPlanFor). `mer predict` and `mer eval` use it. Torch-free header
// (the model runs inside nn::Predictor).
//
//   MER_ASSIGN_OR_RETURN(TrackPredictor p, TrackPredictor::Open("m.merm"));
//   MER_ASSIGN_OR_RETURN(nn::TrackPrediction t, p.PredictFile("song.ogg"));
//
// Ownership: owns the model and a log-mel extractor. Thread-safety: one
// thread at a time. Move-only.
#ifndef MER_WORKER_TRACK_PREDICTOR_H_
#define MER_WORKER_TRACK_PREDICTOR_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/core/result.h"
#include "common/dsp/feature_extractor.h"
#include "common/dsp/front_end_params.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/predictor.h"
#include "common/nn/track_aggregator.h"
#include "common/nn/track_windows.h"
#include "worker/track_features.h"

namespace mer::worker {

struct TrackPredictorOptions {
  nn::PredictorOptions predictor;
  TrackFeatureOptions track;
};

class TrackPredictor {
 public:
  static core::Result<TrackPredictor> Open(
      const std::string& model_path, const TrackPredictorOptions& options = {});
  TrackPredictor(TrackPredictor&&) noexcept;
  TrackPredictor& operator=(TrackPredictor&&) noexcept;
  ~TrackPredictor();

  // Decodes `path` with the bundle's front end and predicts it. The Status
  // names the file on failure. `seconds` (optional) gets the audio length.
  core::Result<nn::TrackPrediction> PredictFile(const std::string& path,
                                                double* seconds = nullptr);
  // `mel`: [n_mels][n_frames] dB made with the bundle's front end.
  core::Result<nn::TrackPrediction> PredictMel(const float* mel, int n_mels,
                                               int n_frames);

  const nn::BundleManifest& manifest() const;
  const dsp::FrontEndParams& front_end() const;
  // The front end and any descriptors the model reads.
  const dsp::FeatureParams& features() const;
  const nn::WindowPlan& window_plan() const;

 private:
  struct Impl;
  explicit TrackPredictor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The JSON line `mer predict` prints for one track; a model with a tag head
// adds "tags": {name: mean sigmoid probability}.
nlohmann::json PredictionJson(const std::string& path,
                              const nn::TrackPrediction& p,
                              const nn::BundleManifest& manifest,
                              double seconds);

}  // namespace mer::worker

#endif  // MER_WORKER_TRACK_PREDICTOR_H_
