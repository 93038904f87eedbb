// Key strength of a chroma vector: its correlation with the Krumhansl-Kessler
// major and minor key profiles (Krumhansl 1990, the probe-tone ratings)
// rotated to all 12 tonics, as MIRtoolbox's mirkeystrength / mirmode
// ("best major minus best minor") compute it.
//
// Thread-safety: pure functions.
#ifndef MER_COMMON_DSP_KEY_PROFILE_H_
#define MER_COMMON_DSP_KEY_PROFILE_H_

#include <array>
#include <span>
#include <string>

namespace mer::dsp {

struct KeyEstimate {
  // Pearson correlation with each key: [0, 12) C..B major, [12, 24) C..B
  // minor. All 0 when the chroma is constant (silence).
  std::array<double, 24> strengths{};
  // The best of the 24 keys: tonic 0 = C ... 11 = B.
  int tonic = 0;
  bool minor = false;
  // Key clarity: the best key's correlation, in [-1, 1].
  double clarity = 0.0;
  // Mode: best major correlation minus best minor correlation, in [-2, 2];
  // above 0 leans major.
  double mode = 0.0;

  // "C major", "A minor", ...
  std::string Name() const;
};

// `chroma`: 12 non-negative pitch-class weights, index 0 = C.
KeyEstimate EstimateKey(std::span<const double, 12> chroma);

}  // namespace mer::dsp

#endif  // MER_COMMON_DSP_KEY_PROFILE_H_
