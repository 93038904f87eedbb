#include "storage/track_fingerprint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "common/core/digest.h"

namespace mer::storage {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

core::Status ErrnoStatus(const std::string& path, int err) {
  if (err == ENOENT || err == ENOTDIR) {
    return core::Status::NotFound(path, std::strerror(err));
  }
  return core::Status::IOError(path, std::strerror(err));
}

}  // namespace

core::Result<Fingerprint> FingerprintFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
  // writer forever; a FIFO, socket or device is refused below, unread.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  FilePtr file(::fdopen(fd, "rb"));
  if (!file) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(path, err);
  }
  // fstat on the open file: size and mtime describe the bytes we hash.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus(path, errno);
  if (!S_ISREG(st.st_mode)) {
    return core::Status::InvalidArgument(
        path, "not a regular file (a FIFO, socket or device): not read");
  }
  Fingerprint fp;
  fp.size = static_cast<uint64_t>(st.st_size);
  fp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                st.st_mtim.tv_nsec;

  std::vector<char> buffer(kFingerprintPrefixBytes);
  size_t got = 0;
  while (got < buffer.size()) {
    size_t n =
        std::fread(buffer.data() + got, 1, buffer.size() - got, file.get());
    if (n == 0) break;
    got += n;
  }
  if (std::ferror(file.get())) return ErrnoStatus(path, errno ? errno : EIO);
  core::Digest64 digest;
  digest.Update(buffer.data(), got);
  fp.prefix_hash = digest.value();
  return fp;
}

}  // namespace mer::storage
