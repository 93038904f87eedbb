#include "common/core/host.h"

#include <unistd.h>

#include <array>

namespace mer::core {

std::string HostName() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
    return "unknown-host";
  }
  return std::string(name.data());
}

}  // namespace mer::core
