#include "common/nn/bundle_format.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/core/atomic_file.h"
#include "common/core/coding.h"
#include "common/core/digest.h"
#include "common/nn/bundle_manifest.h"

namespace mer::nn {
namespace {

using core::Result;
using core::Status;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

Status WriteBundleFile(const std::string& path, std::string_view manifest_json,
                       std::string_view weights) {
  std::string header(kBundleMagic);
  core::PutFixed32(&header, kBundleFormatVersion);
  core::PutFixed32(&header, 0);
  core::PutFixed64(&header, manifest_json.size());
  core::PutFixed64(&header, weights.size());
  core::PutFixed64(&header,
                   core::Digest64().Update(manifest_json).Update(weights).value());
  return core::WriteFileAtomic(path, {header, manifest_json, weights});
}

Result<BundleBytes> ReadBundleFile(const std::string& path, bool with_weights) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    if (errno == ENOENT) return Status::NotFound(path, ErrnoText());
    return Status::IOError(path, ErrnoText());
  }
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(path, ec.message());
  char header[kBundleHeaderSize];
  if (file_size < kBundleHeaderSize ||
      std::fread(header, 1, kBundleHeaderSize, f.get()) != kBundleHeaderSize) {
    return Status::Corruption(path, "not a mer model bundle (file of " +
                                        std::to_string(file_size) +
                                        " bytes is shorter than the header)");
  }
  if (std::string_view(header, 8) != kBundleMagic) {
    return Status::Corruption(path,
                              "not a mer model bundle (no MERMODEL magic)");
  }
  const uint32_t version = core::DecodeFixed32(header + 8);
  if (version != static_cast<uint32_t>(kBundleFormatVersion)) {
    return Status::NotSupported(path, "model bundle format version " +
                                          std::to_string(version) +
                                          "; this build reads version " +
                                          std::to_string(kBundleFormatVersion));
  }
  const uint64_t m = core::DecodeFixed64(header + 16);
  const uint64_t w = core::DecodeFixed64(header + 24);
  const uint64_t digest = core::DecodeFixed64(header + 32);
  // Guard the sum against absurd sizes from a damaged header.
  if (m > file_size || w > file_size ||
      kBundleHeaderSize + m + w != file_size) {
    return Status::Corruption(
        path, "truncated or damaged model bundle: header says " +
                  std::to_string(kBundleHeaderSize + m + w) +
                  " bytes, file has " + std::to_string(file_size));
  }
  BundleBytes out;
  out.manifest_json.resize(m);
  if (std::fread(out.manifest_json.data(), 1, m, f.get()) != m) {
    return Status::IOError(path, "read failed: " + ErrnoText());
  }
  if (!with_weights) return out;
  out.weights.resize(w);
  if (std::fread(out.weights.data(), 1, w, f.get()) != w) {
    return Status::IOError(path, "read failed: " + ErrnoText());
  }
  if (core::Digest64().Update(out.manifest_json).Update(out.weights).value() !=
      digest) {
    return Status::Corruption(path,
                              "model bundle digest mismatch (file damaged)");
  }
  return out;
}

}  // namespace mer::nn
