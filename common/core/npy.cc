#include "common/core/npy.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <numeric>
#include <regex>

#include "common/core/atomic_file.h"
#include "common/core/coding.h"

namespace mer::core {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

size_t Product(const std::vector<size_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), size_t{1},
                         std::multiplies<>());
}

}  // namespace

Status WriteNpy(const std::string& path, const float* data,
                const std::vector<size_t>& shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  // Header (magic + version + length + dict + '\n') padded to 64 bytes.
  size_t unpadded = kMagicSize + 2 + 2 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';

  std::string header(kMagic, kMagicSize);
  header += '\x01';  // version 1.0
  header += '\x00';
  PutFixed16(&header, static_cast<uint16_t>(dict.size()));
  header += dict;
  return WriteFileAtomic(
      path, {header, std::string_view(reinterpret_cast<const char*>(data),
                                      Product(shape) * sizeof(float))});
}

Result<NpyArray> ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path, std::strerror(errno));
  char magic[kMagicSize];
  unsigned char version[2];
  if (!in.read(magic, kMagicSize) || std::memcmp(magic, kMagic, kMagicSize) ||
      !in.read(reinterpret_cast<char*>(version), 2)) {
    return Status::Corruption(path, "not a .npy file");
  }
  size_t header_len = 0;
  if (version[0] == 1) {
    char b[2];
    if (!in.read(b, 2)) {
      return Status::Corruption(path, "truncated .npy header");
    }
    header_len = DecodeFixed16(b);
  } else if (version[0] == 2 || version[0] == 3) {
    char b[4];
    if (!in.read(b, 4)) {
      return Status::Corruption(path, "truncated .npy header");
    }
    header_len = DecodeFixed32(b);
  } else {
    return Status::NotSupported(path, ".npy format version " +
                                          std::to_string(version[0]));
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len))) {
    return Status::Corruption(path, "truncated .npy header");
  }
  if (header.find("'descr': '<f4'") == std::string::npos) {
    return Status::NotSupported(path, "only little-endian float32 .npy");
  }
  if (header.find("'fortran_order': False") == std::string::npos) {
    return Status::NotSupported(path, "only C-order .npy");
  }
  std::smatch m;
  static const std::regex kShape(R"('shape':\s*\(([^)]*)\))");
  if (!std::regex_search(header, m, kShape)) {
    return Status::Corruption(path, "no shape in .npy header");
  }
  NpyArray array;
  std::string dims = m[1];
  static const std::regex kDim(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), kDim);
       it != std::sregex_iterator(); ++it) {
    array.shape.push_back(std::stoull(it->str()));
  }
  array.data.resize(Product(array.shape));
  if (!in.read(reinterpret_cast<char*>(array.data.data()),
               static_cast<std::streamsize>(array.data.size() *
                                            sizeof(float)))) {
    return Status::Corruption(path, "truncated .npy data");
  }
  return array;
}

}  // namespace mer::core
