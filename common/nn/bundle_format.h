// The byte layout of a model bundle file (one file; little-endian):
//
//   offset  size  field
//        0     8  magic "MERMODEL"
//        8     4  u32 format version (kBundleFormatVersion)
//       12     4  u32 reserved, 0
//       16     8  u64 manifest size M
//       24     8  u64 weights size W
//       32     8  u64 FNV-1a 64 digest of the manifest and weights bytes
//       40     M  manifest, UTF-8 JSON (BundleManifest::ToJson)
//     40+M     W  weights (LibTorch archive of parameters and buffers)
//
// Torch-free: the manifest half is read by the coordinator.
// Thread-safety: functions are safe on distinct paths.
#ifndef MER_COMMON_NN_BUNDLE_FORMAT_H_
#define MER_COMMON_NN_BUNDLE_FORMAT_H_

#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/core/status.h"

namespace mer::nn {

inline constexpr std::string_view kBundleMagic = "MERMODEL";
inline constexpr size_t kBundleHeaderSize = 40;

struct BundleBytes {
  std::string manifest_json;
  std::string weights;  // empty when read without weights
};

// Writes the bundle atomically (core::AtomicFile: a temp file next to `path`,
// fsync'ed, renamed over `path`, the folder fsync'ed).
core::Status WriteBundleFile(const std::string& path,
                             std::string_view manifest_json,
                             std::string_view weights);

// Reads and checks a bundle: magic, version, sizes against the file size,
// and (with `with_weights`) the digest. Errors name the file:
// "model.merm: truncated: header says 1234 bytes, file has 1000".
core::Result<BundleBytes> ReadBundleFile(const std::string& path,
                                         bool with_weights);

}  // namespace mer::nn

#endif  // MER_COMMON_NN_BUNDLE_FORMAT_H_
