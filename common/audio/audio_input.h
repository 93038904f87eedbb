// Internal to mer_audio: opening a media file and choosing its audio stream,
// shared by Probe and AudioDecoder. Maps FFmpeg and OS failures to Status
// values whose message is "<path>: <reason>".
//
// Thread-safety: free functions; independent calls share nothing.
#ifndef MER_COMMON_AUDIO_AUDIO_INPUT_H_
#define MER_COMMON_AUDIO_AUDIO_INPUT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/audio/audio_decoder.h"
#include "common/audio/ffmpeg_handles.h"
#include "common/core/result.h"

namespace mer::audio::internal {

// A wall-clock deadline FFmpeg's interrupt callback checks. Heap-held so
// its address, the callback's opaque, survives moves of AudioInput.
struct Deadline {
  std::chrono::steady_clock::time_point at =
      std::chrono::steady_clock::time_point::max();
  double seconds = 0;  // the limit it was made from, for messages
  bool Passed() const { return std::chrono::steady_clock::now() >= at; }
  // "<path>: timed out after N s"
  core::Status TimedOut(const std::string& path) const;
};

// An opened container positioned at its start, with the chosen audio stream.
struct AudioInput {
  std::unique_ptr<Deadline> deadline;  // first: outlives `format`
  FormatContextPtr format;
  int stream_index = -1;
  const AVCodec* decoder = nullptr;  // owned by FFmpeg; null when not asked
  AudioInfo info;
};

// Opens `path` and finds the best audio stream. With `need_decoder`, also
// requires a decoder for it (NotSupported otherwise). With timeout_seconds
// > 0, opening and every later read stop at that deadline.
core::Result<AudioInput> OpenAudioInput(const std::string& path,
                                        bool need_decoder,
                                        double timeout_seconds = 0);

// A Status for an FFmpeg failure while reading `path`: the code follows the
// error (ENOENT -> NotFound, EACCES/EPERM/EIO -> IOError, EISDIR ->
// InvalidArgument, otherwise Corruption); the message is
// "<path>: <what>: <av_strerror text>" (or "<path>: <av_strerror text>" when
// `what` is empty).
core::Status StatusFromAvError(const std::string& path, int errnum,
                               std::string_view what);

}  // namespace mer::audio::internal

#endif  // MER_COMMON_AUDIO_AUDIO_INPUT_H_
