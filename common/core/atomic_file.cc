#include "common/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

namespace mer::core {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

// fsync of the folder holding `path`, so a rename into it survives a crash.
Status SyncParentFolder(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(dir.string(), ErrnoText());
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  // Some filesystems cannot sync a folder; the rename happened regardless.
  if (rc != 0 && saved != EINVAL && saved != EROFS) {
    return Status::IOError(
        dir.string(), std::string("fsync failed: ") + std::strerror(saved));
  }
  return Status::Ok();
}

}  // namespace

Result<AtomicFile> AtomicFile::Create(const std::string& path) {
  AtomicFile f;
  f.path_ = path;
  std::random_device rd;
  f.temp_path_ =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  f.fd_ = ::open(f.temp_path_.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0644);
  if (f.fd_ < 0) return Status::IOError(path, "cannot create: " + ErrnoText());
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    temp_path_ = std::move(other.temp_path_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
  }
  return *this;
}

AtomicFile::~AtomicFile() { Discard(); }

void AtomicFile::Discard() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  std::remove(temp_path_.c_str());
}

Status AtomicFile::WriteAt(uint64_t offset, std::string_view bytes) {
  if (fd_ < 0) return Status::IOError(path_, "file already committed");
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(path_, "write failed: " + ErrnoText());
    }
    p += n;
    left -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status AtomicFile::Append(std::string_view bytes) {
  MER_RETURN_IF_ERROR(WriteAt(size_, bytes));
  size_ += bytes.size();
  return Status::Ok();
}

Status AtomicFile::Commit() {
  if (fd_ < 0) return Status::IOError(path_, "file already committed");
  if (::fsync(fd_) != 0) {
    Status s = Status::IOError(path_, "fsync failed: " + ErrnoText());
    Discard();
    return s;
  }
  if (::close(std::exchange(fd_, -1)) != 0) {
    Status s = Status::IOError(path_, "close failed: " + ErrnoText());
    std::remove(temp_path_.c_str());
    return s;
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    Status s = Status::IOError(path_, "rename failed: " + ErrnoText());
    std::remove(temp_path_.c_str());
    return s;
  }
  return SyncParentFolder(path_);
}

Status WriteFileAtomic(const std::string& path,
                       std::initializer_list<std::string_view> parts) {
  MER_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::Create(path));
  for (std::string_view part : parts) MER_RETURN_IF_ERROR(f.Append(part));
  return f.Commit();
}

}  // namespace mer::core
