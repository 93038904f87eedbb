#include "common/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace mer::core {

Result<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "off") return LogLevel::kOff;
  return Status::InvalidArgument(
      "log level '" + std::string(name) + "'",
      "expected one of debug, info, warn, error, off");
}

void InitLogging(LogLevel level, int rank) {
  auto logger = spdlog::stderr_color_mt("mer");
  spdlog::set_default_logger(logger);
  std::string pattern = "mer";
  if (rank >= 0) pattern += "[r" + std::to_string(rank) + "]";
  pattern += ": %^%l%$: %v";
  spdlog::set_pattern(pattern);
  switch (level) {
    case LogLevel::kDebug: spdlog::set_level(spdlog::level::debug); break;
    case LogLevel::kInfo: spdlog::set_level(spdlog::level::info); break;
    case LogLevel::kWarn: spdlog::set_level(spdlog::level::warn); break;
    case LogLevel::kError: spdlog::set_level(spdlog::level::err); break;
    case LogLevel::kOff: spdlog::set_level(spdlog::level::off); break;
  }
}

}  // namespace mer::core
