#include "common/core/status.h"

namespace mer::core {

Status::Status(Code code, std::string_view what, std::string_view why)
    : code_(code), message_(what) {
  if (!why.empty()) {
    message_.append(": ");
    message_.append(why);
  }
}

const char* Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kNotFound: return "not_found";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kIOError: return "io_error";
    case Code::kCorruption: return "corruption";
    case Code::kNotSupported: return "not_supported";
    case Code::kAborted: return "aborted";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  const char* prefix = "";
  switch (code_) {
    case Code::kOk: break;
    case Code::kNotFound: prefix = "Not found: "; break;
    case Code::kInvalidArgument: prefix = "Invalid argument: "; break;
    case Code::kIOError: prefix = "IO error: "; break;
    case Code::kCorruption: prefix = "Corruption: "; break;
    case Code::kNotSupported: prefix = "Not supported: "; break;
    case Code::kAborted: prefix = "Aborted: "; break;
    case Code::kInternal: prefix = "Internal error: "; break;
  }
  return prefix + message_;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status s = *this;
  s.message_ = std::string(context) + ": " + message_;
  return s;
}

}  // namespace mer::core
