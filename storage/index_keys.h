// Key and value layouts of the secondary column families of the emotion
// index (DESIGN.md §6). Internal to mer_storage; exposed for its tests.
//
//   by_quadrant  [quadrant:1][~ordered(confidence):4 BE][track id]
//   by_va        [morton(qV, qA):4 BE][track id]
//   by_tag       [tag][0x00][~ordered(score):4 BE][track id]
//
// ordered(f) maps a float to a uint32 whose unsigned order is the order of
// the floats (exact: no quantisation); the complement makes it descending.
// qV, qA quantise [-1, 1] to 16 bits (values outside are clamped); morton()
// interleaves them, V in the even bits, A in the odd bits. All three carry
// the same 13-byte value, a covering copy of what a query hit needs:
//   [valence:f32 LE][arousal:f32 LE][confidence:f32 LE][quadrant:1]
// so queries never read the track record.
#ifndef MER_STORAGE_INDEX_KEYS_H_
#define MER_STORAGE_INDEX_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/emotion.h"

namespace mer::storage::keys {

inline constexpr uint32_t kQuantMax = 0xFFFF;  // 16-bit grid over [-1, 1]

// Monotone non-decreasing map of [-1, 1] onto 0..kQuantMax (clamps outside).
uint16_t Quantise(double x);
// The grid value's coordinate (inverse of Quantise up to one step).
float Dequantise(uint16_t q);

uint32_t Morton(uint16_t x, uint16_t y);
void DecodeMorton(uint32_t z, uint16_t* x, uint16_t* y);
// Tropf-Herzog BIGMIN: the smallest Z value > `z` whose point lies in the
// box spanned by `zmin` (lower corner) and `zmax` (upper corner). Only
// meaningful for zmin <= z <= zmax with z outside the box.
uint32_t BigMin(uint32_t z, uint32_t zmin, uint32_t zmax);

// Order-preserving float <-> uint32 (finite floats; -0 sorts before +0).
uint32_t OrderedBits(float f);
float FromOrderedBits(uint32_t u);

// What a secondary key's value carries.
struct HitValue {
  float valence = 0;
  float arousal = 0;
  float confidence = 0;
  core::Quadrant quadrant = core::Quadrant::kHappy;
  bool operator==(const HitValue&) const = default;
};
std::string EncodeHitValue(const HitValue& v);
std::optional<HitValue> DecodeHitValue(std::string_view bytes);

std::string QuadrantKey(core::Quadrant q, float confidence,
                        std::string_view track_id);
std::string QuadrantPrefix(core::Quadrant q);
struct QuadrantKeyParts {
  core::Quadrant quadrant;
  float confidence;
  std::string_view track_id;
};
std::optional<QuadrantKeyParts> ParseQuadrantKey(std::string_view key);

std::string VaKey(float valence, float arousal, std::string_view track_id);
std::string VaKeyFromMorton(uint32_t z);  // seek target: no track id
struct VaKeyParts {
  uint32_t z;
  std::string_view track_id;
};
std::optional<VaKeyParts> ParseVaKey(std::string_view key);

std::string TagKey(std::string_view tag, float score,
                   std::string_view track_id);
std::string TagPrefix(std::string_view tag);  // tag + 0x00
struct TagKeyParts {
  std::string_view tag;
  float score;
  std::string_view track_id;
};
std::optional<TagKeyParts> ParseTagKey(std::string_view key);

}  // namespace mer::storage::keys

#endif  // MER_STORAGE_INDEX_KEYS_H_
