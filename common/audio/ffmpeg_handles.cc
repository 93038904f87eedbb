#include "common/audio/ffmpeg_handles.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstring>
#include <mutex>
#include <string_view>

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

}  // namespace mer::audio::internal
