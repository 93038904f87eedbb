#include "common/core/check.h"

#include <cstdio>
#include <cstdlib>

namespace mer::core {

void CheckFailed(const char* file, int line, const char* cond,
                 const char* msg) {
  std::fprintf(stderr, "mer: internal error at %s:%d: check failed: %s%s%s\n",
               file, line, cond, msg ? ": " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace mer::core
