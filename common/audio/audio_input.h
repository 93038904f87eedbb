// Internal to mer_audio: opening a media file and choosing its audio stream,
// shared by Probe and AudioDecoder. Maps FFmpeg and OS failures to Status
// values whose message is "<path>: <reason>".
//
// Thread-safety: free functions; independent calls share nothing.
#ifndef MER_COMMON_AUDIO_AUDIO_INPUT_H_
#define MER_COMMON_AUDIO_AUDIO_INPUT_H_

#include <string>
#include <string_view>

#include "common/audio/audio_decoder.h"
#include "common/audio/ffmpeg_handles.h"
#include "common/core/result.h"

namespace mer::audio::internal {

// An opened container positioned at its start, with the chosen audio stream.
struct AudioInput {
  FormatContextPtr format;
  int stream_index = -1;
  const AVCodec* decoder = nullptr;  // owned by FFmpeg; null when not asked
  AudioInfo info;
};

// Opens `path` and finds the best audio stream. With `need_decoder`, also
// requires a decoder for it (NotSupported otherwise).
core::Result<AudioInput> OpenAudioInput(const std::string& path,
                                        bool need_decoder);

// A Status for an FFmpeg failure while reading `path`: the code follows the
// error (ENOENT -> NotFound, EACCES/EPERM/EIO -> IOError, EISDIR ->
// InvalidArgument, otherwise Corruption); the message is
// "<path>: <what>: <av_strerror text>" (or "<path>: <av_strerror text>" when
// `what` is empty).
core::Status StatusFromAvError(const std::string& path, int errnum,
                               std::string_view what);

}  // namespace mer::audio::internal

#endif  // MER_COMMON_AUDIO_AUDIO_INPUT_H_
