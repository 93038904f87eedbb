// Result<T>: a value or the Status that says why there is none.
//
//   Result<AudioInfo> info = Probe(path);
//   if (!info.ok()) return info.status();
//   Use(*info);
#ifndef MER_COMMON_CORE_RESULT_H_
#define MER_COMMON_CORE_RESULT_H_

#include <optional>
#include <utility>

#include "common/core/check.h"
#include "common/core/status.h"

namespace mer::core {

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose: `return value;` and `return Status::...;` both work.
  Result(T value) : value_(std::move(value)) {}  // NOLINT
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    MER_CHECK_MSG(!status_.ok(), "Result built from an OK Status has no value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // Accessing the value of a failed Result is a broken invariant (aborts).
  T& value() & { MER_CHECK_MSG(ok(), status_.ToString().c_str()); return *value_; }
  const T& value() const& {
    MER_CHECK_MSG(ok(), status_.ToString().c_str());
    return *value_;
  }
  T&& value() && {
    MER_CHECK_MSG(ok(), status_.ToString().c_str());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;  // OK when value_ holds a value
  std::optional<T> value_;
};

}  // namespace mer::core

// Declares `lhs` from a Result-returning `expr`, or returns its Status.
#define MER_ASSIGN_OR_RETURN(lhs, expr)                          \
  MER_ASSIGN_OR_RETURN_IMPL_(MER_CONCAT_(mer_result_, __LINE__), lhs, expr)
#define MER_CONCAT_INNER_(a, b) a##b
#define MER_CONCAT_(a, b) MER_CONCAT_INNER_(a, b)
#define MER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#endif  // MER_COMMON_CORE_RESULT_H_
