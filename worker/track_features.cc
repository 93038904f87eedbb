#include "worker/track_features.h"

#include <cstdio>
#include <new>

#include "common/audio/audio_decoder.h"

namespace mer::worker {

core::Result<TrackFeatures> ComputeTrackFeatures(
    const std::string& path, dsp::FeatureExtractor& extractor,
    const TrackFeatureOptions& options) {
  try {
    audio::DecodeOptions decode;
    decode.sample_rate = extractor.params().front_end.sample_rate;
    decode.max_seconds = options.max_seconds;
    decode.offset_seconds = options.offset_seconds;
    decode.timeout_seconds = options.timeout_seconds;
    MER_ASSIGN_OR_RETURN(audio::DecodedAudio pcm,
                         audio::DecodeFile(path, decode));
    if (pcm.seconds() < options.min_seconds) {
      char why[96];
      std::snprintf(why, sizeof(why), "too short: %.2f s of audio, need %.2f s",
                    pcm.seconds(), options.min_seconds);
      return core::Status::InvalidArgument(path, why);
    }
    TrackFeatures f;
    f.seconds = pcm.seconds();
    f.corrupt_packets_skipped = pcm.corrupt_packets_skipped;
    f.log_mel = extractor.Compute(pcm.samples);
    return f;
  } catch (const std::bad_alloc&) {
    return core::Status::Aborted(path, "out of memory");
  }
}

core::Result<dsp::FeatureParams> FeatureParamsFor(const nn::BundleManifest& m,
                                                  const std::string& who) {
  dsp::FeatureParams p;
  auto fe = dsp::FrontEndParams::FromJson(m.front_end);
  if (!fe.ok()) {
    return core::Status::InvalidArgument(
        who, "has no usable front-end parameters: " + fe.status().message());
  }
  p.front_end = *fe;
  if (p.front_end.n_mels != m.config.n_mels) {
    return core::Status::InvalidArgument(
        who, "front end has " + std::to_string(p.front_end.n_mels) +
                 " mel bands, the model takes " +
                 std::to_string(m.config.n_mels));
  }
  if (m.config.descriptor_rows > 0) {
    auto d = dsp::FeatureParams::DescriptorsFromJson(m.descriptors);
    if (!d.ok() || !d->has_value()) {
      return core::Status::InvalidArgument(
          who, "has no usable descriptor parameters" +
                   (d.ok() ? std::string() : ": " + d.status().message()));
    }
    p.descriptors = *d;
    if (p.rows() != m.config.InputRows()) {
      return core::Status::InvalidArgument(
          who, "reads " + std::to_string(m.config.descriptor_rows) +
                   " descriptor rows; this build computes " +
                   std::to_string(p.rows() - p.front_end.n_mels));
    }
  }
  MER_RETURN_IF_ERROR(p.Validate().WithContext(who));
  return p;
}

nn::WindowPlan WindowPlanFor(const nn::ModelConfig& config,
                             const dsp::FrontEndParams& fe) {
  nn::WindowPlan plan;
  plan.frames = config.n_frames;
  plan.hop_frames = fe.SegmentHopFrames();
  plan.max_windows = 0;
  plan.seconds_per_frame = static_cast<double>(fe.hop_length) / fe.sample_rate;
  return plan;
}

}  // namespace mer::worker
