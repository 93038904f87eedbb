// What every mer test needs: OK-assertions on Status and Result<T>, and a
// temporary folder (LevelDB's util/testutil.h is the model).
//
//   ASSERT_OK(index->Write(tracks, {}));
//   EXPECT_OK(status);
//   ASSERT_OK_AND_ASSIGN(auto hits, index->Box(-1, 1, -1, 1));
//   mer::test::TempDir dir;
//   WriteSomething(dir.File("a.mp3"));
//
// Header-only; no link dependency beyond mer_core and GoogleTest.
#ifndef MER_TESTS_UTIL_TEST_UTIL_H_
#define MER_TESTS_UTIL_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <utility>

#include "common/core/result.h"
#include "common/core/status.h"

namespace mer::test {

inline const core::Status& StatusOf(const core::Status& s) { return s; }
template <typename T>
const core::Status& StatusOf(const core::Result<T>& r) {
  return r.status();
}

// The root of test folders: $MER_TEST_TMPDIR (CTest sets it to the build
// tree's test-tmp), else the system's temp folder.
inline std::filesystem::path TestTempRoot() {
  const char* base = std::getenv("MER_TEST_TMPDIR");
  std::filesystem::path root = base && *base
                                   ? std::filesystem::path(base)
                                   : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(root);
  return root;
}

// A fresh folder named after the running test, removed with everything in
// it (read-only parts included) at destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string test = info ? info->name() : "test";
    path_ = TestTempRoot() / ("mer-" + test + "-" + std::to_string(::getpid()) +
                              "-" + std::to_string(counter++) + "-" +
                              std::to_string(std::random_device{}() % 100000));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      std::filesystem::permissions(it->path(),
                                   std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
    }
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  // `name` inside the folder (not created).
  std::string File(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace mer::test

#define MER_TEST_OK_IMPL_(fatal_or_nonfatal, expr)                       \
  do {                                                                   \
    const ::mer::core::Status mer_test_s_ = ::mer::test::StatusOf(expr); \
    fatal_or_nonfatal(mer_test_s_.ok())                                  \
        << #expr << ": " << mer_test_s_.ToString();                      \
  } while (0)

// The Status (or Result's Status) of `expr` is OK.
#define ASSERT_OK(expr) MER_TEST_OK_IMPL_(ASSERT_TRUE, expr)
#define EXPECT_OK(expr) MER_TEST_OK_IMPL_(EXPECT_TRUE, expr)

// Declares `lhs` from the Result `expr`, or fails the test with its Status.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  MER_TEST_ASSIGN_IMPL_(MER_CONCAT_(mer_test_r_, __LINE__), lhs, expr)
#define MER_TEST_ASSIGN_IMPL_(tmp, lhs, expr)                        \
  auto tmp = (expr);                                                 \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

#endif  // MER_TESTS_UTIL_TEST_UTIL_H_
