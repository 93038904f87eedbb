// Fingerprint of an audio file: what the indexing job compares to decide that
// a track is unchanged since it was indexed (DESIGN.md §3) without decoding
// it: size, modification time and a hash of the first 64 KiB.
//
// Thread-safety: FingerprintFile is a pure function of the file system.
#ifndef MER_STORAGE_TRACK_FINGERPRINT_H_
#define MER_STORAGE_TRACK_FINGERPRINT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/core/result.h"

namespace mer::storage {

struct Fingerprint {
  uint64_t size = 0;         // bytes
  int64_t mtime_ns = 0;      // modification time, ns since the Unix epoch
  uint64_t prefix_hash = 0;  // FNV-1a 64 of the first kFingerprintPrefixBytes
  bool operator==(const Fingerprint&) const = default;
};

inline constexpr size_t kFingerprintPrefixBytes = 64 * 1024;

// Stats `path` and hashes its first 64 KiB (fewer when the file is shorter).
// Errors: NotFound / IOError naming the path; InvalidArgument when it is not
// a regular file.
core::Result<Fingerprint> FingerprintFile(const std::string& path);

}  // namespace mer::storage

#endif  // MER_STORAGE_TRACK_FINGERPRINT_H_
