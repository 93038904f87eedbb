// AtomicFile: the new contents appear whole under the final name, a write
// that is not committed leaves the old file and no temp file behind, and
// errors name the destination.
#include "common/core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/util/test_util.h"

namespace mer::core {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFileTest, ReplacesTheOldContentsWhole) {
  test::TempDir dir;
  const std::string path = dir.File("a.bin");
  std::ofstream(path) << "old";
  ASSERT_OK(WriteFileAtomic(path, {"new ", "contents"}));
  EXPECT_EQ(Read(path), "new contents");
  EXPECT_EQ(FilesIn(dir.path()), 1u);  // no temp file left
}

TEST(AtomicFileTest, AHeaderWrittenLastLandsAtItsOffset) {
  test::TempDir dir;
  const std::string path = dir.File("shard");
  ASSERT_OK_AND_ASSIGN(AtomicFile f, AtomicFile::Create(path));
  ASSERT_OK(f.Append("0000"));
  ASSERT_OK(f.Append("data"));
  EXPECT_EQ(f.size(), 8u);
  ASSERT_OK(f.WriteAt(0, "HEAD"));
  EXPECT_FALSE(fs::exists(path));  // not before Commit
  ASSERT_OK(f.Commit());
  EXPECT_EQ(Read(path), "HEADdata");
  EXPECT_FALSE(f.Commit().ok());  // once only
}

TEST(AtomicFileTest, AnUncommittedWriteLeavesTheOldFileAndNoTemp) {
  test::TempDir dir;
  const std::string path = dir.File("checkpoint.pt");
  std::ofstream(path) << "epoch 3";
  {
    ASSERT_OK_AND_ASSIGN(AtomicFile f, AtomicFile::Create(path));
    ASSERT_OK(f.Append("half of epoch 4"));
    EXPECT_TRUE(fs::exists(f.temp_path()));
  }  // dropped, as after a failed write
  EXPECT_EQ(Read(path), "epoch 3");
  EXPECT_EQ(FilesIn(dir.path()), 1u);
}

TEST(AtomicFileTest, ALibraryMayWriteTheTempFileByName) {
  test::TempDir dir;
  const std::string path = dir.File("graph");
  ASSERT_OK_AND_ASSIGN(AtomicFile f, AtomicFile::Create(path));
  std::ofstream(f.temp_path(), std::ios::binary) << "written by name";
  ASSERT_OK(f.Commit());
  EXPECT_EQ(Read(path), "written by name");
}

TEST(AtomicFileTest, ErrorsNameTheDestination) {
  test::TempDir dir;
  const std::string missing = dir.File("no/such/folder/file");
  const Status s = WriteFileAtomic(missing, "x");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find(missing), std::string::npos) << s.ToString();
  // A folder where the file should go: the rename fails, nothing is left.
  fs::create_directories(dir.File("taken/inside"));
  const Status taken = WriteFileAtomic(dir.File("taken"), "x");
  EXPECT_FALSE(taken.ok());
  EXPECT_NE(taken.message().find("taken"), std::string::npos);
  EXPECT_EQ(FilesIn(dir.path()), 1u);
}

}  // namespace
}  // namespace mer::core
