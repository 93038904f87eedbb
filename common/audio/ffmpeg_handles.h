// Internal to mer_audio: move-only owners of FFmpeg objects and the small
// helpers around FFmpeg error codes and logging. Not a public header.
//
// Every FFmpeg object the decoder touches is owned by one of these
// std::unique_ptr aliases, so no code path repeats cleanup before a return.
//
// Thread-safety: the handles are plain owners (one thread at a time each);
// AvErrorText and InstallFfmpegLogging may be called from any thread.
#ifndef MER_COMMON_AUDIO_FFMPEG_HANDLES_H_
#define MER_COMMON_AUDIO_FFMPEG_HANDLES_H_

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
}

#include <memory>
#include <string>

namespace mer::audio::internal {

struct FormatContextDeleter {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
struct FrameDeleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct PacketDeleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct SwrContextDeleter {
  void operator()(SwrContext* swr) const { swr_free(&swr); }
};

using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwrContextPtr = std::unique_ptr<SwrContext, SwrContextDeleter>;

// Owns the contents of an AVChannelLayout (a custom-order layout holds a
// heap-allocated map). Not copyable; CopyFrom copies another layout in.
class ChannelLayout {
 public:
  ChannelLayout() = default;
  ~ChannelLayout() { av_channel_layout_uninit(&layout_); }
  ChannelLayout(const ChannelLayout&) = delete;
  ChannelLayout& operator=(const ChannelLayout&) = delete;

  // Returns 0 or a negative AVERROR.
  int CopyFrom(const AVChannelLayout& other) {
    return av_channel_layout_copy(&layout_, &other);
  }
  bool Equals(const AVChannelLayout& other) const {
    return av_channel_layout_compare(&layout_, &other) == 0;
  }
  const AVChannelLayout& get() const { return layout_; }

 private:
  AVChannelLayout layout_{};
};

// The two stages that take decoded audio of `layout`, sample format
// `format` and `rate` to mono float at `out_rate`: *downmix (made only for
// more than one channel, else reset) averages the channels into mono float
// at `rate`; *resample then takes mono (or the input itself, when mono) to
// `out_rate`. One swr context doing both took ~1.8x the CPU of the two
// (measured with swr alone): on 44.1 kHz stereo resampling was 12 % of a
// worker's CPU, 8 % in two stages. Returns 0, or a negative AVERROR with
// *what naming the stage that failed ("downmix" or "resampling").
int MakeMonoConverters(const AVChannelLayout& layout, int format, int rate,
                       int out_rate, SwrContextPtr* downmix,
                       SwrContextPtr* resample, const char** what);

// av_strerror text for an AVERROR code: "Invalid data found when processing
// input", "No such file or directory", ...
std::string AvErrorText(int errnum);

// Routes FFmpeg's own log lines to spdlog at debug level (warnings and errors
// included), so that stderr carries only mer's one-line messages. Process-wide
// and idempotent; every entry point of mer_audio calls it.
void InstallFfmpegLogging();

}  // namespace mer::audio::internal

#endif  // MER_COMMON_AUDIO_FFMPEG_HANDLES_H_
