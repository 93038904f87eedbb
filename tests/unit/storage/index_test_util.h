// Shared pieces of the emotion-index tests: random track results
// (TempDir and the OK-assertions: tests/util).
#ifndef MER_TESTS_UNIT_STORAGE_INDEX_TEST_UTIL_H_
#define MER_TESTS_UNIT_STORAGE_INDEX_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "storage/emotion_index.h"
#include "tests/util/test_util.h"

namespace mer::storage::testing {

using ::mer::test::TempDir;

inline std::vector<float> RandomUnitVector(std::mt19937& rng, size_t dim) {
  std::normal_distribution<float> g;
  std::vector<float> v(dim);
  double n = 0;
  for (float& x : v) {
    x = g(rng);
    n += static_cast<double>(x) * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

// A complete, valid result with random numbers.
inline TrackResult RandomTrack(std::mt19937& rng, const std::string& id,
                               size_t dim = 8) {
  std::uniform_real_distribution<float> u(-1, 1), p(0, 1);
  TrackResult t;
  t.track_id = id;
  t.path = "/music/" + id + ".mp3";
  t.fingerprint = {1000 + rng() % 1000, static_cast<int64_t>(rng()), rng()};
  t.duration_seconds = 30 + (rng() % 300) + 0.25;
  t.valence = u(rng);
  t.arousal = u(rng);
  float sum = 0;
  for (float& x : t.quadrant_probs) sum += (x = p(rng) + 1e-3f);
  for (float& x : t.quadrant_probs) x /= sum;
  t.embedding = RandomUnitVector(rng, dim);
  for (int i = 0; i < 3; ++i) {
    t.timeline.push_back({i * 10.0f, u(rng), u(rng)});
  }
  t.model_id = "crnn-test";
  t.indexed_at_unix = 1700000000;
  return t;
}

}  // namespace mer::storage::testing

#endif  // MER_TESTS_UNIT_STORAGE_INDEX_TEST_UTIL_H_
