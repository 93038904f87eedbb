#include "storage/track_fingerprint.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/storage/index_test_util.h"

namespace mer::storage {
namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(TrackFingerprintTest, ChangesWithContentOfThePrefixOnly) {
  testing::TempDir dir;
  const std::string path = dir.File("a.bin");
  std::string bytes(200 * 1024, 'x');
  WriteFile(path, bytes);
  ASSERT_OK_AND_ASSIGN(Fingerprint a, FingerprintFile(path));
  EXPECT_EQ(a.size, bytes.size());
  EXPECT_GT(a.mtime_ns, 0);
  ASSERT_OK_AND_ASSIGN(Fingerprint again, FingerprintFile(path));
  EXPECT_EQ(a, again);

  bytes[10] = 'y';  // inside the hashed prefix
  WriteFile(path, bytes);
  ASSERT_OK_AND_ASSIGN(Fingerprint b, FingerprintFile(path));
  EXPECT_NE(a.prefix_hash, b.prefix_hash);

  bytes[10] = 'x';
  bytes[150 * 1024] = 'z';  // past the prefix: same hash, same size
  WriteFile(path, bytes);
  ASSERT_OK_AND_ASSIGN(Fingerprint c, FingerprintFile(path));
  EXPECT_EQ(a.prefix_hash, c.prefix_hash);
  EXPECT_EQ(a.size, c.size);

  WriteFile(dir.File("short"), "abc");
  ASSERT_OK_AND_ASSIGN(Fingerprint s, FingerprintFile(dir.File("short")));
  EXPECT_EQ(s.size, 3u);
}

TEST(TrackFingerprintTest, ErrorsNameThePath) {
  testing::TempDir dir;
  auto missing = FingerprintFile(dir.File("missing.mp3"));
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("missing.mp3"), std::string::npos);
  auto directory = FingerprintFile(dir.path());
  EXPECT_TRUE(directory.status().IsInvalidArgument());
}

// A FIFO named like audio is refused at once, never waited on: a blocking
// open() would hang the job until a writer came (none ever does).
TEST(TrackFingerprintTest, FifoIsRefusedWithoutBlocking) {
  testing::TempDir dir;
  const std::string path = dir.File("x.mp3");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto fifo = FingerprintFile(path);
  ASSERT_FALSE(fifo.ok());
  EXPECT_TRUE(fifo.status().IsInvalidArgument()) << fifo.status().ToString();
  EXPECT_NE(fifo.status().message().find("not a regular file"),
            std::string::npos)
      << fifo.status().ToString();
}

}  // namespace
}  // namespace mer::storage
