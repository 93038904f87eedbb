// DecodeOptions, Probe and DecodeFile: the one-call entry points around
// AudioDecoder.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "common/audio/audio_decoder.h"
#include "common/audio/audio_input.h"

namespace mer::audio {

using core::Result;
using core::Status;

Status DecodeOptions::Validate() const {
  if (sample_rate < 1000 || sample_rate > 384000) {
    return Status::InvalidArgument(
        "DecodeOptions.sample_rate",
        std::to_string(sample_rate) + " Hz is outside 1000..384000");
  }
  if (!std::isfinite(offset_seconds) || offset_seconds < 0) {
    return Status::InvalidArgument("DecodeOptions.offset_seconds",
                                   "must be a finite value >= 0");
  }
  if (!std::isfinite(max_seconds) || max_seconds < 0) {
    return Status::InvalidArgument(
        "DecodeOptions.max_seconds",
        "must be a finite value >= 0 (0 = to the end)");
  }
  if (!std::isfinite(timeout_seconds) || timeout_seconds < 0) {
    return Status::InvalidArgument("DecodeOptions.timeout_seconds",
                                   "must be a finite value >= 0 (0 = none)");
  }
  return Status::Ok();
}

double DecodedAudio::seconds() const {
  return sample_rate > 0 ? static_cast<double>(samples.size()) / sample_rate
                         : 0.0;
}

Result<AudioInfo> Probe(const std::string& path) {
  MER_ASSIGN_OR_RETURN(internal::AudioInput input,
                       internal::OpenAudioInput(path, /*need_decoder=*/false));
  return std::move(input.info);
}

// ---- DecodeFile -------------------------------------------------------------

Result<DecodedAudio> DecodeFile(const std::string& path,
                                const DecodeOptions& options) {
  MER_ASSIGN_OR_RETURN(std::unique_ptr<AudioDecoder> decoder,
                       AudioDecoder::Open(path, options));
  DecodedAudio audio;
  audio.sample_rate = options.sample_rate;
  audio.info = decoder->info();
  double expected = audio.info.duration_seconds - options.offset_seconds;
  if (options.max_seconds > 0) {
    expected = std::min(expected, options.max_seconds);
  }
  if (expected > 0 && expected < 24 * 3600) {
    audio.samples.reserve(
        static_cast<size_t>(expected * options.sample_rate * 1.01) + 4096);
  }
  constexpr size_t kChunk = size_t{1} << 20;
  for (;;) {
    MER_ASSIGN_OR_RETURN(size_t n, decoder->Read(kChunk, &audio.samples));
    if (n == 0) break;
  }
  audio.corrupt_packets_skipped = decoder->corrupt_packets_skipped();
  return audio;
}

}  // namespace mer::audio
