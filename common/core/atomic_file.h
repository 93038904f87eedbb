// AtomicFile: writes a file so that a reader, or the machine after a power
// cut, sees either the old contents or the new ones, never a mix or a
// truncated file. Every file mer replaces in place goes through it (model
// bundles, checkpoints, feature shards, .npy arrays, reports, the ANN files).
//
// The steps (those of LevelDB's and RocksDB's CURRENT-file update):
//  1. Create(): a temp file "<path>.tmp-<pid>-<random>" in the same folder
//     (rename is atomic only within one filesystem);
//  2. Append() / WriteAt(): the bytes;
//  3. Commit(): fsync the file, rename it over `path`, fsync the folder so
//     the rename itself is durable.
// Without Commit() (an error, an early return) the destructor removes the
// temp file, so a failed write leaves nothing behind.
//
//   MER_ASSIGN_OR_RETURN(core::AtomicFile f, core::AtomicFile::Create(path));
//   MER_RETURN_IF_ERROR(f.Append(header));
//   MER_RETURN_IF_ERROR(f.Append(body));
//   MER_RETURN_IF_ERROR(f.Commit());
//
// A library that insists on writing a file by name (hnswlib's saveIndex)
// writes to temp_path(); Commit() still syncs it, since fsync covers every
// write to the file, not only those through this object's descriptor.
//
// Errors name the destination and carry strerror ("No space left on
// device"). Ownership: owns the temp file's descriptor. Move-only.
// Thread-safety: one thread at a time.
#ifndef MER_COMMON_CORE_ATOMIC_FILE_H_
#define MER_COMMON_CORE_ATOMIC_FILE_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "common/core/status.h"

namespace mer::core {

class AtomicFile {
 public:
  // Opens a new temp file beside `path`. IOError when the folder does not
  // exist or is not writable.
  static Result<AtomicFile> Create(const std::string& path);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Closes and removes the temp file unless Commit() succeeded.
  ~AtomicFile();

  // Appends at the end of what was appended so far.
  [[nodiscard]] Status Append(std::string_view bytes);
  // Writes at `offset` (a header filled in last); does not move the end.
  [[nodiscard]] Status WriteAt(uint64_t offset, std::string_view bytes);
  // fsync, rename over the destination, fsync the folder. After a failure
  // the temp file is removed and the destination is untouched.
  [[nodiscard]] Status Commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  // Bytes appended so far.
  uint64_t size() const { return size_; }

 private:
  AtomicFile() = default;
  void Discard();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Writes `parts`, concatenated, to `path` atomically (the steps above).
[[nodiscard]] Status WriteFileAtomic(
    const std::string& path, std::initializer_list<std::string_view> parts);
[[nodiscard]] inline Status WriteFileAtomic(const std::string& path,
                                            std::string_view contents) {
  return WriteFileAtomic(path, {contents});
}

}  // namespace mer::core

#endif  // MER_COMMON_CORE_ATOMIC_FILE_H_
