// The name of the machine this process runs on, for log lines and messages
// that must say where a rank runs ("worker rank 3 on node-07").
#ifndef MER_COMMON_CORE_HOST_H_
#define MER_COMMON_CORE_HOST_H_

#include <string>
#include <vector>

namespace mer::core {

// gethostname(), or "unknown-host" when it fails.
std::string HostName();

// "node-01 (ranks 0-1), node-02 (rank 2)": where each rank runs, hosts in
// the order of their first rank; hosts[i] is rank first_rank + i's.
std::string HostSummary(const std::vector<std::string>& hosts,
                        int first_rank = 0);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_HOST_H_
