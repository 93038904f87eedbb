// Status: the outcome of a fallible call at a boundary (files, decoder,
// database, MPI). Modelled on leveldb::Status: a code plus a two-part message,
// "what failed: why", e.g. IOError("song.mp3", "No such file or directory").
//
// Thread-safety: a Status is a value; distinct objects may be used from
// different threads without synchronisation.
#ifndef MER_COMMON_CORE_STATUS_H_
#define MER_COMMON_CORE_STATUS_H_

#include <string>
#include <string_view>

namespace mer::core {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // a file, track or record does not exist
    kInvalidArgument,  // the caller passed something unusable (bad option)
    kIOError,          // the operating system refused (permission, disk)
    kCorruption,       // data exists but cannot be read as what it should be
    kNotSupported,     // valid, but not something this build can do
    kAborted,          // stopped on purpose (signal, peer failure)
    kInternal,         // a library we call failed for a reason of its own
  };

  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status NotFound(std::string_view what, std::string_view why = {}) {
    return Status(Code::kNotFound, what, why);
  }
  static Status InvalidArgument(std::string_view what,
                                std::string_view why = {}) {
    return Status(Code::kInvalidArgument, what, why);
  }
  static Status IOError(std::string_view what, std::string_view why = {}) {
    return Status(Code::kIOError, what, why);
  }
  static Status Corruption(std::string_view what, std::string_view why = {}) {
    return Status(Code::kCorruption, what, why);
  }
  static Status NotSupported(std::string_view what, std::string_view why = {}) {
    return Status(Code::kNotSupported, what, why);
  }
  static Status Aborted(std::string_view what, std::string_view why = {}) {
    return Status(Code::kAborted, what, why);
  }
  static Status Internal(std::string_view what, std::string_view why = {}) {
    return Status(Code::kInternal, what, why);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsAborted() const { return code_ == Code::kAborted; }

  // The message alone: "what: why" (empty for OK).
  const std::string& message() const { return message_; }
  // Code name and message: "IO error: song.mp3: Permission denied".
  std::string ToString() const;
  // Stable lower-case name of a code ("not_found"), for JSON output.
  static const char* CodeName(Code code);

  // Returns a copy whose message is prefixed with `context`: "context: msg".
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string_view what, std::string_view why);

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace mer::core

// Returns early from the enclosing function when `expr` is not OK.
#define MER_RETURN_IF_ERROR(expr)                     \
  do {                                                \
    ::mer::core::Status mer_status_ = (expr);         \
    if (!mer_status_.ok()) return mer_status_;        \
  } while (0)

#endif  // MER_COMMON_CORE_STATUS_H_
