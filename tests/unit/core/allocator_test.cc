// core::TuneAllocatorForBatches: a large buffer freed and allocated again
// reuses its pages instead of faulting them in afresh (its own binary: the
// tuning is process-wide and must come before any thread).
#include "common/core/allocator.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

namespace mer::core {
namespace {

long MinorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Allocates, touches every page of and frees `bytes`; the faults it took.
long TouchOnce(size_t bytes) {
  const long before = MinorFaults();
  char* p = static_cast<char*>(std::malloc(bytes));
  EXPECT_NE(p, nullptr);
  std::memset(p, 1, bytes);
  asm volatile("" : : "r"(p) : "memory");  // keep the writes
  std::free(p);
  return MinorFaults() - before;
}

TEST(AllocatorTest, ABatchSizedBufferIsReusedWithoutFaultingItInAgain) {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_")) {
    GTEST_SKIP() << "the environment overrides the tuning (MALLOC_*_THRESHOLD_)";
  }
  TuneAllocatorForBatches();
  constexpr size_t kBytes = 64u << 20;  // 16384 pages of 4 KiB
  const long first = TouchOnce(kBytes);
  const long second = TouchOnce(kBytes);
  // glibc's defaults mmap a buffer this size afresh: ~16 000 faults again.
  EXPECT_GT(first, 10000) << "the first touch faults the pages in";
  EXPECT_LT(second, 1000) << "the second allocation should reuse the pages";
}

}  // namespace
}  // namespace mer::core
