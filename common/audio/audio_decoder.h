// Audio decoding: any container and codec FFmpeg reads (MP3, Ogg Vorbis/Opus,
// FLAC, WAV, AAC/M4A, the audio track of a video) to mono float32 PCM at a
// chosen sample rate. Channels are averaged (a full-scale sine in every
// channel stays full scale) and resampled with libswresample.
//
//   MER_ASSIGN_OR_RETURN(DecodedAudio audio, DecodeFile("song.mp3"));
//
//   MER_ASSIGN_OR_RETURN(auto decoder, AudioDecoder::Open(path, options));
//   std::vector<float> chunk;
//   for (;;) {
//     chunk.clear();
//     MER_ASSIGN_OR_RETURN(size_t n, decoder->Read(4096, &chunk));
//     if (n == 0) break;  // end of stream (or of the offset/max window)
//     Consume(chunk);
//   }
//
// Errors are values whose message is "<path>: <reason>", with FFmpeg's
// av_strerror text where it gives one. Codes:
//   NotFound        the file does not exist
//   InvalidArgument a directory, or bad DecodeOptions
//   IOError         permission denied or another operating-system failure
//   Corruption      empty file, not audio, truncated/corrupt beyond use
//                   ("no decodable audio")
//   NotSupported    no audio stream (video-only, image), no decoder for codec
// A corrupt packet inside an otherwise good file is skipped with a warning
// and counted (corrupt_packets_skipped); a file fails only when no usable
// audio remains.
//
// FFmpeg's own log is routed to spdlog at debug level (process-wide).
#ifndef MER_COMMON_AUDIO_AUDIO_DECODER_H_
#define MER_COMMON_AUDIO_AUDIO_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/core/result.h"
#include "common/core/status.h"

namespace mer::audio {

struct DecodeOptions {
  // Output sample rate in Hz, 1000..384000. Default: 16000
  int sample_rate = 16000;
  // Start decoding this many seconds into the audio, >= 0. Seeks, then drops
  // samples before the offset to the exact output sample. Default: 0
  double offset_seconds = 0;
  // Decode at most this many seconds, >= 0; 0 = to the end. Default: 0
  double max_seconds = 0;
  // Wall-clock limit for opening and decoding, s, >= 0; 0 = none. FFmpeg's
  // interrupt callback (AVIOInterruptCB) stops a read that waits (a slow
  // pipe, a network filesystem) and the decode loop checks it per packet:
  // the file fails with IOError "timed out after N s". Default: 0
  double timeout_seconds = 0;

  core::Status Validate() const;
};

// What the file says about itself (container header and stream parameters,
// before any resampling).
struct AudioInfo {
  std::string path;
  // AVInputFormat name: "mp3", "ogg", "flac", "wav",
  // "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", ...
  std::string container;
  // Codec name: "mp3", "vorbis", "opus", "flac", "aac", "pcm_s16le", ...
  std::string codec;
  int sample_rate = 0;
  int channels = 0;
  double duration_seconds = 0;  // from the container (0 when unknown)
  int64_t bit_rate = 0;         // bits per second (0 when unknown)
};

// Opens the file and reads its header and stream parameters, without
// decoding audio. Fails as described above (NotSupported without an audio
// stream). Thread-safe (independent calls share nothing).
core::Result<AudioInfo> Probe(const std::string& path);

// Streaming decoder: memory stays bounded (one codec frame of pending
// output) regardless of the file's length.
//
// Thread-safety: not thread-safe; use one decoder per thread. Distinct
// decoders may run on different threads at once.
class AudioDecoder {
 public:
  // Opens `path`, picks the best audio stream, seeks to
  // options.offset_seconds and decodes up to the first output samples, so
  // that a file with no usable audio fails here rather than in Read.
  static core::Result<std::unique_ptr<AudioDecoder>> Open(
      const std::string& path, const DecodeOptions& options);

  AudioDecoder(const AudioDecoder&) = delete;
  AudioDecoder& operator=(const AudioDecoder&) = delete;
  ~AudioDecoder();

  const AudioInfo& info() const;
  const DecodeOptions& options() const;

  // Appends up to `max_samples` (> 0) mono float32 samples at
  // options().sample_rate to *out. Returns the number appended; 0 means end
  // of stream (or of the max_seconds window). Fewer than max_samples are
  // returned only at the end. *out is only appended to: reserve it and
  // reuse it across calls to avoid allocations.
  core::Result<size_t> Read(size_t max_samples, std::vector<float>* out);

  // Packets the codec rejected so far (each skipped with a warning).
  int corrupt_packets_skipped() const;

 private:
  struct Impl;
  explicit AudioDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct DecodedAudio {
  std::vector<float> samples;  // mono, nominally in [-1, 1]
  int sample_rate = 0;
  AudioInfo info;
  int corrupt_packets_skipped = 0;

  // samples.size() / sample_rate (0 when sample_rate is 0).
  double seconds() const;
};

// Decodes the whole file (or the offset/max_seconds window) into memory.
core::Result<DecodedAudio> DecodeFile(const std::string& path,
                                      const DecodeOptions& options = {});

}  // namespace mer::audio

#endif  // MER_COMMON_AUDIO_AUDIO_DECODER_H_
