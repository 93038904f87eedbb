// Fixed-width binary coding of integers and floats, after LevelDB's
// util/coding.h: every byte layout mer writes (bundle headers, MPI messages,
// result payloads, index values, ANN id files, .npy headers) goes through
// these, so the byte order is stated once.
//
// * Fixed16/32/64, Float: little-endian, the order of every on-disk and
//   on-wire integer of mer (and of x86 and ARM hosts, so no swap happens).
// * BigEndian32: the order of integers inside RocksDB keys, where bytewise
//   comparison must sort like the number.
//
//   std::string out;
//   core::PutFixed32(&out, n);
//   uint32_t m = core::DecodeFixed32(out.data());
//
// Decode* read exactly 2, 4 or 8 bytes at `p`; the caller checks the length.
// Thread-safety: pure functions.
#ifndef MER_COMMON_CORE_CODING_H_
#define MER_COMMON_CORE_CODING_H_

#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mer::core {

inline void PutFixed16(std::string* dst, uint16_t v) {
  dst->push_back(static_cast<char>(v & 0xff));
  dst->push_back(static_cast<char>(v >> 8));
}

inline uint16_t DecodeFixed16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) |
                               (static_cast<unsigned char>(p[1]) << 8));
}

inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

inline void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}

inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, 4);
}

inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, 8);
}

inline void PutFloat(std::string* dst, float f) {
  PutFixed32(dst, std::bit_cast<uint32_t>(f));
}

inline float DecodeFloat(const char* p) {
  return std::bit_cast<float>(DecodeFixed32(p));
}

// `values` as consecutive little-endian float32s.
inline void PutFloats(std::string* dst, std::span<const float> values) {
  if constexpr (std::endian::native == std::endian::little) {
    dst->append(reinterpret_cast<const char*>(values.data()),
                values.size() * sizeof(float));
  } else {
    for (float f : values) PutFloat(dst, f);
  }
}

// `n` little-endian float32s starting at `p`.
inline std::vector<float> DecodeFloats(const char* p, size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = DecodeFloat(p + 4 * i);
  return v;
}

inline void PutBigEndian32(std::string* dst, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    dst->push_back(static_cast<char>(v >> shift));
  }
}

inline uint32_t DecodeBigEndian32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace mer::core

#endif  // MER_COMMON_CORE_CODING_H_
