// Logging for every component: spdlog, to stderr, one line per event.
// Call InitLogging once from main; library code then logs with spdlog::info,
// spdlog::warn, ... Under MPI the rank is part of every line ("[r3]").
#ifndef MER_COMMON_CORE_LOGGING_H_
#define MER_COMMON_CORE_LOGGING_H_

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/core/result.h"

namespace mer::core {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug", "info", "warn", "error", "off".
Result<LogLevel> ParseLogLevel(std::string_view name);

// Sets the level and the line format. `rank` < 0 means "not under MPI".
void InitLogging(LogLevel level, int rank = -1);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_LOGGING_H_
