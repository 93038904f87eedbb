// The name of the machine this process runs on, for log lines and messages
// that must say where a rank runs ("worker rank 3 on node-07").
#ifndef MER_COMMON_CORE_HOST_H_
#define MER_COMMON_CORE_HOST_H_

#include <string>

namespace mer::core {

// gethostname(), or "unknown-host" when it fails.
std::string HostName();

}  // namespace mer::core

#endif  // MER_COMMON_CORE_HOST_H_
