#include "storage/index_keys.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "common/core/coding.h"

namespace mer::storage::keys {
namespace {

constexpr uint32_t kEvenBits = 0x55555555u;  // V
constexpr uint32_t kOddBits = 0xAAAAAAAAu;   // A
constexpr size_t kHitValueSize = 13;

uint32_t Spread16(uint32_t v) {  // abcd -> 0a0b0c0d
  v &= 0xFFFF;
  v = (v | (v << 8)) & 0x00FF00FFu;
  v = (v | (v << 4)) & 0x0F0F0F0Fu;
  v = (v | (v << 2)) & 0x33333333u;
  v = (v | (v << 1)) & 0x55555555u;
  return v;
}

uint32_t Compact16(uint32_t v) {  // inverse of Spread16
  v &= 0x55555555u;
  v = (v | (v >> 1)) & 0x33333333u;
  v = (v | (v >> 2)) & 0x0F0F0F0Fu;
  v = (v | (v >> 4)) & 0x00FF00FFu;
  v = (v | (v >> 8)) & 0x0000FFFFu;
  return v;
}

}  // namespace

uint16_t Quantise(double x) {
  // Each step (clamp, affine map, rounding) is monotone, so x <= y implies
  // Quantise(x) <= Quantise(y): a box query on grid values never loses a
  // point that lies in the box.
  double c = std::clamp(x, -1.0, 1.0);
  return static_cast<uint16_t>(std::lround((c + 1.0) * 0.5 * kQuantMax));
}

float Dequantise(uint16_t q) {
  return static_cast<float>(q * 2.0 / kQuantMax - 1.0);
}

uint32_t Morton(uint16_t x, uint16_t y) {
  return Spread16(x) | (Spread16(y) << 1);
}

void DecodeMorton(uint32_t z, uint16_t* x, uint16_t* y) {
  *x = static_cast<uint16_t>(Compact16(z));
  *y = static_cast<uint16_t>(Compact16(z >> 1));
}

uint32_t BigMin(uint32_t z, uint32_t zmin, uint32_t zmax) {
  uint32_t bigmin = 0;
  for (int bit = 31; bit >= 0; --bit) {
    const uint32_t mask = 1u << bit;
    const uint32_t dim = (bit % 2 == 0) ? kEvenBits : kOddBits;
    const uint32_t below = dim & (mask - 1);  // same dimension, lower bits
    // "1000...": this dimension's bit set, its lower bits cleared.
    auto load_1000 = [&](uint32_t v) {
      return (v & ~(dim & ((mask << 1) - 1))) | mask;
    };
    // "0111...": this dimension's bit cleared, its lower bits set.
    auto load_0111 = [&](uint32_t v) { return (v & ~mask) | below; };
    const bool zb = z & mask, lo = zmin & mask, hi = zmax & mask;
    if (!zb && !lo && hi) {
      bigmin = load_1000(zmin);
      zmax = load_0111(zmax);
    } else if (!zb && lo && hi) {
      return zmin;
    } else if (zb && !lo && !hi) {
      return bigmin;
    } else if (zb && !lo && hi) {
      zmin = load_1000(zmin);
    }
    // (0,0,0) and (1,1,1): go on; (x,1,0) cannot happen for zmin <= zmax.
  }
  return bigmin;
}

uint32_t OrderedBits(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

float FromOrderedBits(uint32_t u) {
  return std::bit_cast<float>((u & 0x80000000u) ? (u & 0x7FFFFFFFu) : ~u);
}

std::string EncodeHitValue(const HitValue& v) {
  std::string out;
  out.reserve(kHitValueSize);
  core::PutFloat(&out, v.valence);
  core::PutFloat(&out, v.arousal);
  core::PutFloat(&out, v.confidence);
  out.push_back(static_cast<char>(v.quadrant));
  return out;
}

std::optional<HitValue> DecodeHitValue(std::string_view bytes) {
  if (bytes.size() != kHitValueSize) return std::nullopt;
  int q = static_cast<unsigned char>(bytes[12]);
  if (q >= core::kNumQuadrants) return std::nullopt;
  return HitValue{core::DecodeFloat(bytes.data()), core::DecodeFloat(bytes.data() + 4),
                  core::DecodeFloat(bytes.data() + 8),
                  static_cast<core::Quadrant>(q)};
}

std::string QuadrantPrefix(core::Quadrant q) {
  return std::string(1, static_cast<char>(q));
}

std::string QuadrantKey(core::Quadrant q, float confidence,
                        std::string_view track_id) {
  std::string key = QuadrantPrefix(q);
  core::PutBigEndian32(&key, ~OrderedBits(confidence));
  key.append(track_id);
  return key;
}

std::optional<QuadrantKeyParts> ParseQuadrantKey(std::string_view key) {
  if (key.size() < 6) return std::nullopt;
  int q = static_cast<unsigned char>(key[0]);
  if (q >= core::kNumQuadrants) return std::nullopt;
  return QuadrantKeyParts{static_cast<core::Quadrant>(q),
                          FromOrderedBits(~core::DecodeBigEndian32(key.data() + 1)),
                          key.substr(5)};
}

std::string VaKeyFromMorton(uint32_t z) {
  std::string key;
  core::PutBigEndian32(&key, z);
  return key;
}

std::string VaKey(float valence, float arousal, std::string_view track_id) {
  std::string key =
      VaKeyFromMorton(Morton(Quantise(valence), Quantise(arousal)));
  key.append(track_id);
  return key;
}

std::optional<VaKeyParts> ParseVaKey(std::string_view key) {
  if (key.size() < 5) return std::nullopt;
  return VaKeyParts{core::DecodeBigEndian32(key.data()), key.substr(4)};
}

std::string TagPrefix(std::string_view tag) {
  std::string key(tag);
  key.push_back('\0');
  return key;
}

std::string TagKey(std::string_view tag, float score,
                   std::string_view track_id) {
  std::string key = TagPrefix(tag);
  core::PutBigEndian32(&key, ~OrderedBits(score));
  key.append(track_id);
  return key;
}

std::optional<TagKeyParts> ParseTagKey(std::string_view key) {
  size_t nul = key.find('\0');
  if (nul == std::string_view::npos || nul == 0 || key.size() < nul + 6) {
    return std::nullopt;
  }
  return TagKeyParts{key.substr(0, nul),
                     FromOrderedBits(~core::DecodeBigEndian32(key.data() + nul + 1)),
                     key.substr(nul + 5)};
}

}  // namespace mer::storage::keys
