// The emotion taxonomy (DESIGN.md §1): Russell's valence-arousal plane,
// V and A in [-1, 1], four quadrants around the origin.
//   Q1 happy (+V +A), Q2 tense (-V +A), Q3 sad (-V -A), Q4 calm (+V -A).
#ifndef MER_COMMON_CORE_EMOTION_H_
#define MER_COMMON_CORE_EMOTION_H_

#include <array>
#include <string_view>

#include "common/core/result.h"

namespace mer::core {

enum class Quadrant : int { kHappy = 0, kTense = 1, kSad = 2, kCalm = 3 };
inline constexpr int kNumQuadrants = 4;

// "happy", "tense", "sad", "calm".
std::string_view QuadrantName(Quadrant q);
// "Q1".."Q4".
std::string_view QuadrantCode(Quadrant q);
// Accepts "Q1".."Q4" (any case) or the names above.
Result<Quadrant> ParseQuadrant(std::string_view text);

// The quadrant a V-A point falls in (ties at 0 go to the positive side).
Quadrant QuadrantOf(float valence, float arousal);

// Maps a value on a 1..9 rating scale to [-1, 1]: (x - 5) / 4.
inline float FromNinePointScale(float x) { return (x - 5.0f) / 4.0f; }

struct ValenceArousal {
  float valence = 0;
  float arousal = 0;
};

// V-A read off quadrant probabilities p[Q1..Q4] (DESIGN.md §5):
// V = (p1 + p4) - (p2 + p3), A = (p1 + p2) - (p3 + p4).
ValenceArousal VaFromQuadrantProbs(const std::array<float, 4>& p);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_EMOTION_H_
