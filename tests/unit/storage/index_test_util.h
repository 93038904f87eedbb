// Shared pieces of the emotion-index tests: a temporary directory, random
// track results, OK-assertions.
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

#define MER_ASSERT_OK(expr)                                         \
  do {                                                              \
    const ::mer::core::Status mer_s_ = (expr);                      \
    ASSERT_TRUE(mer_s_.ok()) << #expr << ": " << mer_s_.ToString(); \
  } while (0)

#define MER_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  MER_ASSERT_OK_AND_ASSIGN_IMPL_(MER_CONCAT_(mer_r_, __LINE__), lhs, expr)
#define MER_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)               \
  auto tmp = (expr);                                                 \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

namespace mer::storage::testing {

// A fresh directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("mer_index_" + std::to_string(::getpid()) + "_" +
             (info ? std::string(info->name()) : "x") + "_" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string sub(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

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
