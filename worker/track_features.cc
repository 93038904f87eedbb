#include "worker/track_features.h"

#include <cstdio>
#include <new>

#include "common/audio/audio_decoder.h"

namespace mer::worker {

core::Result<TrackFeatures> ComputeTrackFeatures(
    const std::string& path, dsp::LogMelExtractor& extractor,
    const TrackFeatureOptions& options) {
  try {
    audio::DecodeOptions decode;
    decode.sample_rate = extractor.params().sample_rate;
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
