// Stable digests of parameter sets and data: the same bytes give the same
// digest on every machine and in every build (FNV-1a, 64 bit). Not a
// cryptographic hash: it names configurations, it does not defend them.
#ifndef MER_COMMON_CORE_DIGEST_H_
#define MER_COMMON_CORE_DIGEST_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace mer::core {

class Digest64 {
 public:
  Digest64& Update(std::string_view bytes);
  Digest64& Update(const void* data, size_t size);
  uint64_t value() const { return state_; }
  // 16 lower-case hex digits.
  std::string Hex() const;

 private:
  uint64_t state_ = 0xcbf29ce484222325ull;  // FNV-1a offset basis
};

// Hex digest of one string.
std::string DigestHex(std::string_view bytes);

}  // namespace mer::core

#endif  // MER_COMMON_CORE_DIGEST_H_
