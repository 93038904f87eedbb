// `mer_faults`: the `mer` command line with a fault handler installed
// (common/core/fault_point.h), for tests that must kill a job at a known
// moment. The shipped `mer` has no such handler.
//
//   MER_TEST_KILL_AT=index.written:3 mer_faults index ...
// kills the process with SIGKILL the first time the fault point
// "index.written" is passed with a count of 3 or more;
//   MER_TEST_HANG_AT=index.decode:2 mer_faults index ...
// blocks the thread that passes "index.decode" with a count of exactly 2
// for ever, as a read stuck in the kernel would (POINT:FIRST-LAST: every
// count from FIRST to LAST, each in its own thread); MER_TEST_HANG_RANK=R
// limits either to MPI rank R (OMPI_COMM_WORLD_RANK or PMIX_RANK).
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "cli/command.h"
#include "common/core/allocator.h"
#include "common/core/fault_point.h"

namespace {

std::string g_point, g_hang_point;
unsigned long long g_count = 0, g_hang_count = 0, g_hang_last = 0;
bool g_kill = false, g_hang = false;

void OnFault(const char* point, uint64_t count) {
  if (g_hang && g_hang_point == point && count >= g_hang_count &&
      count <= g_hang_last) {
    std::fprintf(stderr, "mer_faults: hanging at %s (count %llu)\n", point,
                 static_cast<unsigned long long>(count));
    std::fflush(stderr);
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  if (g_kill && g_point == point && count >= g_count) {
    std::fprintf(stderr, "mer_faults: killing the job at %s (count %llu)\n",
                 point, static_cast<unsigned long long>(count));
    std::fflush(stderr);
    ::raise(SIGKILL);
  }
}

// POINT:COUNT[-LAST] from `var` (*last = COUNT without one); false when
// unset, exit 2 when malformed.
bool ParseSpec(const char* var, std::string* point, unsigned long long* count,
               unsigned long long* last = nullptr) {
  const char* spec = std::getenv(var);
  if (spec == nullptr) return false;
  const char* colon = std::strrchr(spec, ':');
  if (colon == nullptr) {
    std::fprintf(stderr, "mer_faults: %s=POINT:COUNT\n", var);
    std::exit(2);
  }
  point->assign(spec, colon);
  char* end = nullptr;
  *count = std::strtoull(colon + 1, &end, 10);
  if (last != nullptr) {
    *last = *end == '-' ? std::strtoull(end + 1, nullptr, 10) : *count;
  }
  return true;
}

bool ThisRankIsTargeted() {
  const char* want = std::getenv("MER_TEST_HANG_RANK");
  if (want == nullptr) return true;
  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (rank == nullptr) rank = std::getenv("PMIX_RANK");
  return rank != nullptr && std::strcmp(rank, want) == 0;
}

}  // namespace

MER_THREAD_ENVIRONMENT_PREINIT();  // as `mer` does

int main(int argc, char** argv) {
  g_kill = ParseSpec("MER_TEST_KILL_AT", &g_point, &g_count);
  g_hang = ParseSpec("MER_TEST_HANG_AT", &g_hang_point, &g_hang_count,
                     &g_hang_last);
  if (!ThisRankIsTargeted()) g_kill = g_hang = false;
  if (g_kill || g_hang) mer::core::SetFaultHandler(OnFault);
  return mer::cli::RunMer(argc, argv);
}
