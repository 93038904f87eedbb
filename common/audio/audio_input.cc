#include "common/audio/audio_input.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace mer::audio::internal {
namespace {

using core::Result;
using core::Status;

// Checks what FFmpeg would report less clearly: a missing path, a directory,
// an empty file.
Status CheckPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return Status::NotFound(path, std::strerror(ENOENT));
    }
    if (err == EACCES || err == EPERM) {
      return Status::IOError(path, std::strerror(err));
    }
    return Status::IOError(path, std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(path, "is a directory, not an audio file");
  }
  if (!S_ISREG(st.st_mode)) {  // opening a FIFO would wait for a writer
    return Status::InvalidArgument(
        path, "not a regular file (a FIFO, socket or device): not opened");
  }
  if (st.st_size == 0) {
    return Status::Corruption(path, "empty file (0 bytes)");
  }
  return Status::Ok();
}

double DurationSeconds(const AVFormatContext& format, const AVStream& stream) {
  if (format.duration != AV_NOPTS_VALUE && format.duration > 0) {
    return static_cast<double>(format.duration) / AV_TIME_BASE;
  }
  if (stream.duration != AV_NOPTS_VALUE && stream.duration > 0) {
    return stream.duration * av_q2d(stream.time_base);
  }
  return 0;
}

}  // namespace

Status StatusFromAvError(const std::string& path, int errnum,
                         std::string_view what) {
  std::string why(what);
  if (!why.empty()) why += ": ";
  why += AvErrorText(errnum);
  if (errnum == AVERROR(ENOENT)) return Status::NotFound(path, why);
  if (errnum == AVERROR(EACCES) || errnum == AVERROR(EPERM) ||
      errnum == AVERROR(EIO) || errnum == AVERROR(ENOMEM) ||
      errnum == AVERROR(EMFILE) || errnum == AVERROR(ENFILE)) {
    return Status::IOError(path, why);
  }
  if (errnum == AVERROR(EISDIR)) return Status::InvalidArgument(path, why);
  if (errnum == AVERROR_DECODER_NOT_FOUND)
    return Status::NotSupported(path, why);
  return Status::Corruption(path, why);
}

Status Deadline::TimedOut(const std::string& path) const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "timed out after %.0f s", seconds);
  return Status::IOError(path, buf);
}

Result<AudioInput> OpenAudioInput(const std::string& path, bool need_decoder,
                                  double timeout_seconds) {
  InstallFfmpegLogging();
  MER_RETURN_IF_ERROR(CheckPath(path));

  AudioInput input;
  input.deadline = std::make_unique<Deadline>();
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return Status::IOError(path, "out of memory");
  if (timeout_seconds > 0) {
    Deadline& d = *input.deadline;
    d.seconds = timeout_seconds;
    d.at = std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
               std::chrono::duration<double>(timeout_seconds));
    raw->interrupt_callback.callback = [](void* opaque) -> int {
      return static_cast<const Deadline*>(opaque)->Passed() ? 1 : 0;
    };
    raw->interrupt_callback.opaque = input.deadline.get();
  }
  int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (err < 0 && input.deadline->Passed()) {
    return input.deadline->TimedOut(path);
  }
  if (err < 0) {
    // avformat_open_input frees the context on failure.
    if (err == AVERROR_INVALIDDATA || err == AVERROR(EINVAL)) {
      return StatusFromAvError(path, err, "not a recognised audio file");
    }
    return StatusFromAvError(path, err, "");
  }
  input.format.reset(raw);

  err = avformat_find_stream_info(input.format.get(), nullptr);
  if (err < 0 && input.deadline->Passed()) {
    return input.deadline->TimedOut(path);
  }
  if (err < 0) {
    return StatusFromAvError(path, err, "cannot read stream parameters");
  }

  const AVCodec* decoder = nullptr;
  const int index =
      av_find_best_stream(input.format.get(), AVMEDIA_TYPE_AUDIO, -1, -1,
                          need_decoder ? &decoder : nullptr, 0);
  if (index == AVERROR_STREAM_NOT_FOUND) {
    // av_find_best_stream passes over audio streams whose parameters could
    // not be read: that is damaged audio, not a file without audio.
    for (unsigned i = 0; i < raw->nb_streams; ++i) {
      const AVCodecParameters* par = raw->streams[i]->codecpar;
      if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
        return Status::Corruption(
            path, "no decodable audio (the " +
                      std::string(avcodec_get_name(par->codec_id)) +
                      " stream has no sample rate or channel count)");
      }
    }
    return Status::NotSupported(path, "no audio stream (container '" +
                                          std::string(raw->iformat->name) +
                                          "')");
  }
  if (index == AVERROR_DECODER_NOT_FOUND) {
    // Name the codec of the first audio stream, the one we could not decode.
    std::string codec = "unknown";
    for (unsigned i = 0; i < raw->nb_streams; ++i) {
      const AVCodecParameters* par = raw->streams[i]->codecpar;
      if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
        codec = avcodec_get_name(par->codec_id);
        break;
      }
    }
    return Status::NotSupported(path,
                                "no decoder for audio codec '" + codec + "'");
  }
  if (index < 0) {
    return StatusFromAvError(path, index, "cannot choose an audio stream");
  }
  input.stream_index = index;
  input.decoder = decoder;

  const AVStream& stream = *raw->streams[index];
  const AVCodecParameters& par = *stream.codecpar;
  AudioInfo& info = input.info;
  info.path = path;
  info.container = raw->iformat->name ? raw->iformat->name : "";
  info.codec = avcodec_get_name(par.codec_id);
  info.sample_rate = par.sample_rate;
  info.channels = par.ch_layout.nb_channels;
  info.duration_seconds = DurationSeconds(*raw, stream);
  info.bit_rate = par.bit_rate > 0 ? par.bit_rate : raw->bit_rate;
  if (info.bit_rate < 0) info.bit_rate = 0;
  if (info.sample_rate <= 0 || info.channels <= 0) {
    return Status::Corruption(
        path, "no decodable audio (the " + info.codec +
                  " stream has no sample rate or channel count)");
  }
  return input;
}

}  // namespace mer::audio::internal
