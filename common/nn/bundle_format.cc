#include "common/nn/bundle_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>

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

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

Status WriteBundleFile(const std::string& path, std::string_view manifest_json,
                       std::string_view weights) {
  std::string header(kBundleMagic);
  PutU32(&header, kBundleFormatVersion);
  PutU32(&header, 0);
  PutU64(&header, manifest_json.size());
  PutU64(&header, weights.size());
  PutU64(&header,
         core::Digest64().Update(manifest_json).Update(weights).value());

  std::random_device rd;
  const std::string tmp =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  {
    FilePtr f(std::fopen(tmp.c_str(), "wb"));
    if (!f) return Status::IOError(tmp, ErrnoText());
    for (std::string_view part :
         {std::string_view(header), manifest_json, weights}) {
      if (!part.empty() &&
          std::fwrite(part.data(), 1, part.size(), f.get()) != part.size()) {
        Status s = Status::IOError(tmp, "write failed: " + ErrnoText());
        f.reset();
        std::remove(tmp.c_str());
        return s;
      }
    }
    if (std::fflush(f.get()) != 0 || ::fsync(::fileno(f.get())) != 0) {
      Status s = Status::IOError(tmp, "flush failed: " + ErrnoText());
      f.reset();
      std::remove(tmp.c_str());
      return s;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return Status::IOError(path,
                           "rename from temp file failed: " + ec.message());
  }
  return Status::Ok();
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
  const uint32_t version = static_cast<uint32_t>(GetLe(header + 8, 4));
  if (version != static_cast<uint32_t>(kBundleFormatVersion)) {
    return Status::NotSupported(path, "model bundle format version " +
                                          std::to_string(version) +
                                          "; this build reads version " +
                                          std::to_string(kBundleFormatVersion));
  }
  const uint64_t m = GetLe(header + 16, 8), w = GetLe(header + 24, 8);
  const uint64_t digest = GetLe(header + 32, 8);
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
