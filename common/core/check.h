// MER_CHECK: aborts with file and line when an invariant of the program is
// broken. Never use it to validate input: bad input is a Status (faiss's two
// tiers: FAISS_ASSERT vs FAISS_THROW_IF_NOT).
#ifndef MER_COMMON_CORE_CHECK_H_
#define MER_COMMON_CORE_CHECK_H_

namespace mer::core {
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond,
                              const char* msg);
}  // namespace mer::core

#define MER_CHECK(cond)                                                \
  do {                                                                 \
    if (!(cond)) ::mer::core::CheckFailed(__FILE__, __LINE__, #cond, nullptr); \
  } while (0)

#define MER_CHECK_MSG(cond, msg)                                      \
  do {                                                                \
    if (!(cond)) ::mer::core::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

#endif  // MER_COMMON_CORE_CHECK_H_
