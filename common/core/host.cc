#include "common/core/host.h"

#include <unistd.h>

#include <array>
#include <map>

namespace mer::core {

std::string HostName() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
    return "unknown-host";
  }
  return std::string(name.data());
}

namespace {

// "rank 3" or "ranks 1-2" or "ranks 1, 3"
std::string Ranks(const std::vector<int>& ranks) {
  if (ranks.size() == 1) return "rank " + std::to_string(ranks[0]);
  bool contiguous = true;
  for (size_t i = 1; i < ranks.size(); ++i) {
    contiguous = contiguous && ranks[i] == ranks[i - 1] + 1;
  }
  if (contiguous) {
    return "ranks " + std::to_string(ranks.front()) + "-" +
           std::to_string(ranks.back());
  }
  std::string out = "ranks ";
  for (size_t i = 0; i < ranks.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(ranks[i]);
  }
  return out;
}

}  // namespace

std::string HostSummary(const std::vector<std::string>& hosts,
                        int first_rank) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<int>> ranks;
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (!ranks.count(hosts[i])) order.push_back(hosts[i]);
    ranks[hosts[i]].push_back(first_rank + static_cast<int>(i));
  }
  std::string out;
  for (const std::string& host : order) {
    out += (out.empty() ? "" : ", ") + host + " (" + Ranks(ranks[host]) + ")";
  }
  return out;
}

}  // namespace mer::core
