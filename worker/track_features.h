// One track from file to features: decode (FFmpeg), then log-mel (FFTW3) and,
// when the feature parameters ask for them, the hand-crafted descriptors. The
// per-track boundary shared by extract, train (on the fly), predict and index:
// any failure is a Status naming the file, never a crash.
#ifndef MER_WORKER_TRACK_FEATURES_H_
#define MER_WORKER_TRACK_FEATURES_H_

#include <string>

#include "common/core/result.h"
#include "common/dsp/feature_extractor.h"
#include "common/dsp/front_end_params.h"
#include "common/dsp/spectrogram.h"
#include "common/nn/bundle_manifest.h"
#include "common/nn/model_config.h"
#include "common/nn/track_windows.h"

namespace mer::worker {

struct TrackFeatureOptions {
  // Tracks shorter than this fail with "too short". Default: 1.0 s.
  double min_seconds = 1.0;
  // Decode at most this much of each track; 0 = all of it. Default: 0.
  double max_seconds = 0;
  // Start this far into each track. Default: 0.
  double offset_seconds = 0;
  // Wall-clock limit for decoding, s; 0 = none (DecodeOptions). Default: 0.
  double timeout_seconds = 0;
};

struct TrackFeatures {
  // [rows][n_frames]: the log-mel in dB, then any descriptor rows
  // (dsp::FeatureExtractor); log_mel.n_mels holds the row count.
  dsp::Spectrogram log_mel;
  double seconds = 0;        // decoded audio
  int corrupt_packets_skipped = 0;
};

// Decodes `path` at the extractor's rate and computes its features.
// `extractor` is this thread's (FeatureExtractor is not thread-safe).
core::Result<TrackFeatures> ComputeTrackFeatures(
    const std::string& path, dsp::FeatureExtractor& extractor,
    const TrackFeatureOptions& options = {});

// What the model of manifest `m` reads of a track: its front end and, for a
// model with a descriptor branch, the descriptors after the bands.
// InvalidArgument naming `who` when the manifest's parameters are unusable
// or do not fit the model (band count, descriptor rows).
core::Result<dsp::FeatureParams> FeatureParamsFor(const nn::BundleManifest& m,
                                                  const std::string& who);

// The windows a model of `config` sees of a track made with front end `fe`:
// the model's input frames, every segment hop of the front end, all of them
// (max_windows 0). Every path that runs a model on whole tracks (index,
// predict, eval, training validation) takes its plan from here.
nn::WindowPlan WindowPlanFor(const nn::ModelConfig& config,
                             const dsp::FrontEndParams& fe);

}  // namespace mer::worker

#endif  // MER_WORKER_TRACK_FEATURES_H_
