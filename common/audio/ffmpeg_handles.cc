#include "common/audio/ffmpeg_handles.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

namespace mer::audio::internal {
namespace {

void FfmpegLogCallback(void* avcl, int level, const char* fmt, va_list vl) {
  // Verbose chatter never reaches spdlog; the rest only when debug is on.
  if (level > AV_LOG_WARNING || !spdlog::should_log(spdlog::level::debug)) {
    return;
  }
  thread_local int print_prefix = 1;
  char line[1024];
  av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &print_prefix);
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (!text.empty()) spdlog::debug("ffmpeg: {}", text);
}

}  // namespace

std::string AvErrorText(int errnum) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(errnum, buffer, sizeof(buffer)) < 0) {
    return "FFmpeg error " + std::to_string(errnum);
  }
  return buffer;
}

void InstallFfmpegLogging() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_WARNING);
    av_log_set_callback(FfmpegLogCallback);
  });
}

int MakeMonoConverters(const AVChannelLayout& layout, int format, int rate,
                       int out_rate, SwrContextPtr* downmix,
                       SwrContextPtr* resample, const char** what) {
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  // FFmpeg 5.1 takes non-const layout pointers.
  AVChannelLayout* in = const_cast<AVChannelLayout*>(&layout);
  const int channels = layout.nb_channels;
  downmix->reset();
  resample->reset();
  SwrContext* raw = nullptr;
  int err = 0;
  if (channels > 1) {
    *what = "downmix";
    err = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, rate, in,
                              static_cast<AVSampleFormat>(format), rate, 0,
                              nullptr);
    downmix->reset(raw);
    if (err < 0) return err;
    // Average: swr's default matrix would sum at -3 dB each, putting a
    // full-scale sine in both channels at +3 dB.
    const std::vector<double> matrix(static_cast<size_t>(channels),
                                     1.0 / channels);
    err = swr_set_matrix(downmix->get(), matrix.data(), channels);
    if (err < 0) return err;
    err = swr_init(downmix->get());
    if (err < 0) return err;
  }
  *what = "resampling";
  raw = nullptr;
  err = swr_alloc_set_opts2(
      &raw, &mono, AV_SAMPLE_FMT_FLT, out_rate, *downmix ? &mono : in,
      *downmix ? AV_SAMPLE_FMT_FLT : static_cast<AVSampleFormat>(format),
      rate, 0, nullptr);
  resample->reset(raw);
  if (err < 0) return err;
  return swr_init(resample->get());
}

}  // namespace mer::audio::internal
