// `mer_faults`: the `mer` command line with a fault handler installed
// (common/core/fault_point.h), for tests that must kill a job at a known
// moment. The shipped `mer` has no such handler.
//
//   MER_TEST_KILL_AT=index.written:3 mer_faults index ...
// kills the process with SIGKILL the first time the fault point
// "index.written" is passed with a count of 3 or more.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/command.h"
#include "common/core/fault_point.h"

namespace {

std::string g_point;
unsigned long long g_count = 0;

void KillAt(const char* point, uint64_t count) {
  if (g_point == point && count >= g_count) {
    std::fprintf(stderr, "mer_faults: killing the job at %s (count %llu)\n",
                 point, static_cast<unsigned long long>(count));
    std::fflush(stderr);
    ::raise(SIGKILL);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* spec = std::getenv("MER_TEST_KILL_AT")) {
    const char* colon = std::strrchr(spec, ':');
    if (colon == nullptr) {
      std::fprintf(stderr, "mer_faults: MER_TEST_KILL_AT=POINT:COUNT\n");
      return 2;
    }
    g_point.assign(spec, colon);
    g_count = std::strtoull(colon + 1, nullptr, 10);
    mer::core::SetFaultHandler(KillAt);
  }
  return mer::cli::RunMer(argc, argv);
}
