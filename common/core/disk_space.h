// Free space on the filesystem that holds a path, for jobs that must stop
// cleanly before a full disk stops them (the index writer checks before it
// opens the index and before each write batch).
#ifndef MER_COMMON_CORE_DISK_SPACE_H_
#define MER_COMMON_CORE_DISK_SPACE_H_

#include <cstdint>
#include <string>

#include "common/core/result.h"

namespace mer::core {

// Bytes an unprivileged writer can still use (statvfs f_bavail * f_frsize)
// on the filesystem of `path`, or of its nearest existing parent when
// `path` does not exist yet. IOError when statvfs fails.
Result<uint64_t> FreeBytes(const std::string& path);

// "0.2 MB", "12.5 GB": for messages.
std::string FormatBytes(uint64_t bytes);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_DISK_SPACE_H_
