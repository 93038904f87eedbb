// Reads the golden files in tests/data/dsp (see
// scripts/golden/make_dsp_golden.py for how they were made).
#ifndef MER_TESTS_UNIT_DSP_GOLDEN_H_
#define MER_TESTS_UNIT_DSP_GOLDEN_H_

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mer::dsp::testing {

inline std::string GoldenPath(const std::string& name) {
  return std::string(MER_SOURCE_DIR) + "/tests/data/dsp/" + name;
}

inline std::vector<char> ReadBytes(const std::string& name) {
  std::ifstream in(GoldenPath(name), std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

// Little-endian float32 file (this suite runs on little-endian hosts).
inline std::vector<float> ReadFloats(const std::string& name) {
  std::vector<char> bytes = ReadBytes(name);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

inline nlohmann::json Manifest() {
  std::ifstream in(GoldenPath("manifest.json"));
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// Sparse filterbank file -> dense row-major [n_mels][n_freqs]; empty on a
// malformed file.
inline std::vector<float> ReadSparseFilterbank(const std::string& name,
                                               int* n_mels, int* n_freqs) {
  std::vector<char> b = ReadBytes(name);
  size_t pos = 0;
  auto next_int = [&](int32_t* v) {
    if (pos + 4 > b.size()) return false;
    std::memcpy(v, b.data() + pos, 4);
    pos += 4;
    return true;
  };
  int32_t m = 0, f = 0;
  if (!next_int(&m) || !next_int(&f) || m <= 0 || f <= 0) return {};
  std::vector<float> dense(static_cast<size_t>(m) * f, 0.0f);
  for (int i = 0; i < m; ++i) {
    int32_t start = 0, count = 0;
    if (!next_int(&start) || !next_int(&count) || start < 0 || count < 0 ||
        start + count > f || pos + 4 * count > b.size()) {
      return {};
    }
    std::memcpy(dense.data() + static_cast<size_t>(i) * f + start,
                b.data() + pos, 4 * count);
    pos += 4 * count;
  }
  if (pos != b.size()) return {};
  *n_mels = m;
  *n_freqs = f;
  return dense;
}

}  // namespace mer::dsp::testing

#endif  // MER_TESTS_UNIT_DSP_GOLDEN_H_
