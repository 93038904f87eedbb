// FaultPoint: the one seam through which tests inject faults into long jobs
// (a kill -9 at a chosen moment, to prove that a resumed job loses and
// duplicates nothing). Test hooks never live in user-facing options or in
// files a job writes.
//
// Production code marks a moment with a name and a count:
//   core::FaultPoint("index.batch_written", tracks_written);
// A test binary installs a handler once at start-up (the `mer_faults`
// build of the CLI, tests/integration/mer_faults_main.cc, kills itself at
// the point its environment names). The shipped `mer` installs none, and a
// point then costs one atomic load.
//
// Thread-safety: SetFaultHandler and FaultPoint may be called from any
// thread; the handler runs on the thread that reaches the point.
#ifndef MER_COMMON_CORE_FAULT_POINT_H_
#define MER_COMMON_CORE_FAULT_POINT_H_

#include <cstdint>

namespace mer::core {

using FaultHandler = void (*)(const char* point, uint64_t count);

// Installs `handler` (nullptr: none). For test binaries only.
void SetFaultHandler(FaultHandler handler);

// Calls the installed handler, if any, with `point` and `count`.
void FaultPoint(const char* point, uint64_t count);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_FAULT_POINT_H_
