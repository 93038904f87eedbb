#include "common/core/labels.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/core/csv.h"

namespace mer::core {
namespace {

namespace fs = std::filesystem;

class LabelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mer_labels_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(LabelsTest, QuadrantCsvWithQuotesAndGroups) {
  std::string csv = Write("l.csv",
                          "path,track_id,quadrant,artist,title\n"
                          "audio/a.mp3,A,Q1,\"Poole, Charlie\",\"Say \"\"hi\"\"\"\n"
                          "/abs/b.mp3,,sad,Dismember,x\n");
  auto set = ReadLabels(csv);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->tracks.size(), 2u);
  EXPECT_EQ(set->tracks[0].path, (dir_ / "audio/a.mp3").string());
  EXPECT_EQ(set->tracks[0].track_id, "A");
  EXPECT_EQ(set->tracks[0].group, "Poole, Charlie");
  EXPECT_EQ(*set->tracks[0].quadrant, Quadrant::kHappy);
  EXPECT_EQ(set->tracks[1].path, "/abs/b.mp3");
  EXPECT_EQ(set->tracks[1].track_id, "/abs/b.mp3");
  EXPECT_EQ(*set->tracks[1].quadrant, Quadrant::kSad);
  EXPECT_TRUE(set->has_quadrant);
  EXPECT_FALSE(set->has_va);
}

TEST_F(LabelsTest, NinePointVaScaleAndDerivedQuadrant) {
  std::string csv = Write("va.csv", "path,valence,arousal\nx.wav,9,1\ny.wav,3,7\n");
  LabelsOptions o;
  o.va_scale = VaScale::kOneToNine;
  auto set = ReadLabels(csv, o);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_FLOAT_EQ(*set->tracks[0].valence, 1.0f);
  EXPECT_FLOAT_EQ(*set->tracks[0].arousal, -1.0f);
  EXPECT_EQ(*set->tracks[0].quadrant, Quadrant::kCalm);
  EXPECT_EQ(*set->tracks[1].quadrant, Quadrant::kTense);
  // The same file read on the -1..1 scale is out of range, with the line.
  auto bad = ReadLabels(csv);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("va.csv:2"), std::string::npos)
      << bad.status().message();
}

TEST_F(LabelsTest, MalformedRowsNameTheLine) {
  auto r = ReadLabels(Write("a.csv", "path,quadrant\na.mp3,Q1\nb.mp3,Q7\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a.csv:3"), std::string::npos);
  EXPECT_NE(r.status().message().find("Q7"), std::string::npos);

  r = ReadLabels(Write("b.csv", "path,quadrant\na.mp3,Q1,extra\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("b.csv:2"), std::string::npos);

  r = ReadLabels(Write("c.csv", "file,quadrant\na.mp3,Q1\n"));
  EXPECT_FALSE(r.ok());
  r = ReadLabels(Write("d.csv", "path,quadrant\na.mp3,Q1\na.mp3,Q2\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duplicate"), std::string::npos);
  r = ReadLabels(Write("e.csv", "path,quadrant,x\n\"a.mp3,Q1,1\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unterminated"), std::string::npos);
  EXPECT_TRUE(ReadLabels((dir_ / "missing.csv").string()).status().IsNotFound());
}

TEST_F(LabelsTest, DigestChangesWithLabels) {
  auto a = ReadLabels(Write("a.csv", "path,quadrant\na.mp3,Q1\n"));
  auto b = ReadLabels(Write("b.csv", "path,quadrant\na.mp3,Q2\n"));
  auto c = ReadLabels(Write("c.csv", "path,quadrant\na.mp3,Q1\n"));
  EXPECT_NE(a->Digest(), b->Digest());
  EXPECT_EQ(a->Digest(), c->Digest());
}

TEST_F(LabelsTest, TsvAndMultilineQuotedField) {
  auto r = CsvReader::Open(Write("m.tsv", "path\tnote\na\t\"two\nlines\"\nb\tx\n"));
  ASSERT_TRUE(r.ok());
  auto rec = (*r)->Next();
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((**rec)[1], "two\nlines");
  rec = (*r)->Next();
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((**rec)[0], "b");
  EXPECT_EQ((*r)->line(), 4);
}

}  // namespace
}  // namespace mer::core
