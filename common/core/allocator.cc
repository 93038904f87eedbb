#include "common/core/allocator.h"

#include <unistd.h>

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mer::core {

void TuneAllocatorForBatches() {
#if defined(__GLIBC__)
  constexpr int kOneGiB = 1 << 30;
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 1);
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) {
    mallopt(M_MMAP_THRESHOLD, kOneGiB);
  }
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) {
    mallopt(M_TRIM_THRESHOLD, kOneGiB);
  }
#endif
}

namespace {

// The variables ExecWithThreadEnvironment() adds when missing.
constexpr const char* kThreadEnvironment[] = {
    "OMP_WAIT_POLICY=PASSIVE", "OPENBLAS_NUM_THREADS=1",
    "GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mxfast=0"};
constexpr int kThreadVariables =
    sizeof(kThreadEnvironment) / sizeof(kThreadEnvironment[0]);

// Whether `entry` ("NAME=value") sets the variable of `want` ("NAME=...").
bool SameName(const char* entry, const char* want) {
  for (; *want != '='; ++entry, ++want) {
    if (*entry != *want) return false;
  }
  return *entry == '=';
}

}  // namespace

void ExecWithThreadEnvironment(int /*argc*/, char** argv, char** envp) {
  if (argv == nullptr || envp == nullptr) return;
  bool present[kThreadVariables] = {};
  int n = 0;
  for (; envp[n] != nullptr; ++n) {
    for (int v = 0; v < kThreadVariables; ++v) {
      present[v] = present[v] || SameName(envp[n], kThreadEnvironment[v]);
    }
  }
  int missing = 0;
  for (bool p : present) missing += p ? 0 : 1;
  if (missing == 0) return;
  constexpr int kMaxVariables = 4096;  // a larger environment: leave it be
  if (n + missing + 1 > kMaxVariables) return;
  const char* env[kMaxVariables];
  for (int i = 0; i < n; ++i) env[i] = envp[i];
  for (int v = 0; v < kThreadVariables; ++v) {
    if (!present[v]) env[n++] = kThreadEnvironment[v];
  }
  env[n] = nullptr;
  // The program's own path, not /proc/self/exe: the kernel names the
  // process after the file exec'ed, and ps, top and scripts that look for
  // "mer" must still find it.
  char path[4096];
  const ssize_t len = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (len <= 0) return;
  path[len] = '\0';
  ::execve(path, argv, const_cast<char* const*>(env));
  // No /proc (or exec refused): carry on with the libraries' defaults.
}

}  // namespace mer::core
