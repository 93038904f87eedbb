#include "common/core/digest.h"

#include <cstdio>

namespace mer::core {

Digest64& Digest64::Update(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    state_ ^= p[i];
    state_ *= 0x100000001b3ull;  // FNV prime
  }
  return *this;
}

Digest64& Digest64::Update(std::string_view bytes) {
  return Update(bytes.data(), bytes.size());
}

std::string Digest64::Hex() const {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(state_));
  return buf;
}

std::string DigestHex(std::string_view bytes) {
  return Digest64().Update(bytes).Hex();
}

}  // namespace mer::core
