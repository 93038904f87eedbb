#include "common/core/emotion.h"

#include <cctype>
#include <string>

namespace mer::core {

std::string_view QuadrantName(Quadrant q) {
  static constexpr std::array<std::string_view, 4> kNames = {"happy", "tense",
                                                             "sad", "calm"};
  return kNames[static_cast<int>(q)];
}

std::string_view QuadrantCode(Quadrant q) {
  static constexpr std::array<std::string_view, 4> kCodes = {"Q1", "Q2", "Q3",
                                                             "Q4"};
  return kCodes[static_cast<int>(q)];
}

Result<Quadrant> ParseQuadrant(std::string_view text) {
  std::string lower;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  for (int i = 0; i < kNumQuadrants; ++i) {
    auto q = static_cast<Quadrant>(i);
    std::string code(QuadrantCode(q));
    code[0] = 'q';
    if (lower == code || lower == QuadrantName(q)) return q;
  }
  return Status::InvalidArgument(
      "quadrant '" + std::string(text) + "'",
      "expected Q1..Q4 or happy, tense, sad, calm");
}

Quadrant QuadrantOf(float valence, float arousal) {
  if (arousal >= 0) return valence >= 0 ? Quadrant::kHappy : Quadrant::kTense;
  return valence >= 0 ? Quadrant::kCalm : Quadrant::kSad;
}

ValenceArousal VaFromQuadrantProbs(const std::array<float, 4>& p) {
  return {(p[0] + p[3]) - (p[1] + p[2]), (p[0] + p[1]) - (p[2] + p[3])};
}

}  // namespace mer::core
