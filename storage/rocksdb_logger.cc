#include "storage/rocksdb_logger.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace mer::storage {
namespace {

spdlog::level::level_enum LevelOf(rocksdb::InfoLogLevel level) {
  switch (level) {
    case rocksdb::InfoLogLevel::DEBUG_LEVEL:
    case rocksdb::InfoLogLevel::INFO_LEVEL:
      return spdlog::level::trace;
    case rocksdb::InfoLogLevel::WARN_LEVEL:
    case rocksdb::InfoLogLevel::ERROR_LEVEL:
      return spdlog::level::debug;
    default:
      return spdlog::level::warn;
  }
}

class SpdlogRocksLogger : public rocksdb::Logger {
 public:
  SpdlogRocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::DEBUG_LEVEL) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format,
            va_list ap) override {
    const spdlog::level::level_enum to = LevelOf(level);
    if (!spdlog::should_log(to)) return;
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(buf, sizeof buf, format, copy);
    va_end(copy);
    if (n < 0) return;
    std::string line(buf, std::min<size_t>(static_cast<size_t>(n),
                                           sizeof buf - 1));
    while (!line.empty() && line.back() == '\n') line.pop_back();
    spdlog::log(to, "rocksdb: {}", line);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewSpdlogRocksLogger() {
  return std::make_shared<SpdlogRocksLogger>();
}

}  // namespace mer::storage
