#include "common/core/npy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/util/test_util.h"

namespace mer::core {
namespace {

namespace fs = std::filesystem;

TEST(NpyTest, RoundTrip) {
  test::TempDir tmp;
  const fs::path dir = tmp.path();
  std::vector<float> data(3 * 5);
  for (size_t i = 0; i < data.size(); ++i) data[i] = 0.5f * i - 1;
  std::string path = (dir / "a.npy").string();
  ASSERT_TRUE(WriteNpy(path, data.data(), {3, 5}).ok());
  // The header is padded so the data starts at a multiple of 64 bytes.
  EXPECT_EQ((fs::file_size(path) - data.size() * 4) % 64, 0u);
  auto back = ReadNpy(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->shape, (std::vector<size_t>{3, 5}));
  EXPECT_EQ(back->data, data);
}

TEST(NpyTest, RejectsGarbage) {
  test::TempDir tmp;
  const fs::path p = tmp.File("bad.npy");
  std::ofstream(p) << "not numpy";
  auto r = ReadNpy(p.string());
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(p.string()), std::string::npos);
}

// numpy.load reads what we write (skipped when numpy is not installed).
TEST(NpyTest, NumpyLoadsIt) {
  if (std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3-numpy not installed; cannot cross-check";
  }
  test::TempDir tmp;
  const fs::path p = tmp.File("np.npy");
  std::vector<float> data = {1.5f, -2.0f, 3.25f, 4.0f, 0.0f, 6.0f};
  ASSERT_TRUE(WriteNpy(p.string(), data.data(), {2, 3}).ok());
  std::string cmd = "/usr/bin/python3 -c \"import numpy as n; a=n.load('" +
                    p.string() +
                    "'); assert a.shape==(2,3) and a.dtype==n.float32 and "
                    "a[0,2]==3.25 and a[1,0]==4.0\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace mer::core
