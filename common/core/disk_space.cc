#include "common/core/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace mer::core {

Result<uint64_t> FreeBytes(const std::string& path) {
  std::filesystem::path p = std::filesystem::absolute(path);
  std::error_code ec;
  while (!std::filesystem::exists(p, ec) && p.has_parent_path() &&
         p.parent_path() != p) {
    p = p.parent_path();
  }
  struct statvfs fs {};
  if (::statvfs(p.c_str(), &fs) != 0) {
    return Status::IOError(p.string(), std::strerror(errno));
  }
  return static_cast<uint64_t>(fs.f_bavail) *
         static_cast<uint64_t>(fs.f_frsize);
}

std::string FormatBytes(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  char buf[32];
  if (b >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  }
  return buf;
}

}  // namespace mer::core
