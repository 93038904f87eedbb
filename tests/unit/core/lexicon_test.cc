// Continuous V-A from mood words: lexicon lookup (case, '/'-separated
// parts), the mean over a track's words, centring and scaling from the
// quadrant labels, precedence of explicit V-A, coverage, and the real 4Q
// labels with the Warriner norms when ../shared/data is present.
#include "common/core/lexicon.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/core/labels.h"
#include "tests/util/test_util.h"

namespace mer::core {
namespace {

class LexiconTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lexicon_ = dir_.File("norms.csv");
    std::ofstream(lexicon_) << ",Word,V.Mean.Sum,A.Mean.Sum\n"
                               "1,joyful,8,6\n"
                               "2,Calm,7,2\n"
                               "3,angry,2,7\n"
                               "4,gloomy,2,3\n"
                               "5,mellow,6,2.5\n";
  }
  LabelsOptions WithLexicon() const {
    LabelsOptions o;
    o.lexicon = LexiconOptions{lexicon_};
    return o;
  }
  test::TempDir dir_;
  std::string lexicon_;
};

TEST_F(LexiconTest, FindsWordsWhateverTheirCaseAndPartsOfSlashedNames) {
  ASSERT_OK_AND_ASSIGN(Lexicon lex, Lexicon::Read({lexicon_}));
  EXPECT_EQ(lex.size(), 5u);
  EXPECT_EQ(lex.Find(" JOYFUL ")->valence, 8.0f);
  EXPECT_EQ(lex.Find("calm")->arousal, 2.0f);
  const auto split = lex.Find("Laid-Back/Mellow");  // only "mellow" known
  ASSERT_TRUE(split);
  EXPECT_EQ(split->valence, 6.0f);
  EXPECT_FALSE(lex.Find("somber"));
  int found = 0;
  const auto mean = MoodVa(lex, {"joyful", "somber", "calm"}, &found);
  EXPECT_EQ(found, 2);
  EXPECT_FLOAT_EQ(mean->valence, 7.5f);
  EXPECT_FLOAT_EQ(mean->arousal, 4.0f);
  EXPECT_FALSE(Lexicon::Read({lexicon_, "Lemma"}).ok());  // no such column
}

TEST_F(LexiconTest, LabelsGetVaCentredOnTheQuadrantMeans) {
  const std::string csv = dir_.File("labels.csv");
  std::ofstream(csv) << "path,quadrant,moods,valence,arousal\n"
                        "a.mp3,Q1,Joyful; joyful,,\n"   // 8, 6
                        "b.mp3,Q2,angry,,\n"            // 2, 7
                        "c.mp3,Q3,gloomy; unknown,,\n"  // 2, 3
                        "d.mp3,Q4,calm,,\n"             // 7, 2
                        "e.mp3,Q4,mellow,0.9,-0.8\n";   // its own V-A
  ASSERT_OK_AND_ASSIGN(LabelledSet set, ReadLabels(csv, WithLexicon()));
  ASSERT_TRUE(set.lexicon);
  const LexiconReport& r = *set.lexicon;
  EXPECT_EQ(r.words, 5);        // "Joyful; joyful" is one word; e.mp3's
  EXPECT_EQ(r.words_found, 4);  // words are not looked up
  EXPECT_EQ(r.tracks_with_va, 4);
  // Valence: positive quadrants (a, d) mean 7.5, negative (b, c) 2: centre
  // 4.75, scale 5.5. Arousal: (a, b) 6.5 vs (c, d) 2.5: centre 4.5, scale 4.
  EXPECT_FLOAT_EQ(r.scaling.valence_centre, 4.75f);
  EXPECT_FLOAT_EQ(r.scaling.valence_scale, 5.5f);
  EXPECT_FLOAT_EQ(r.scaling.arousal_centre, 4.5f);
  EXPECT_FLOAT_EQ(r.scaling.arousal_scale, 4.0f);
  EXPECT_FLOAT_EQ(*set.tracks[0].valence, (8 - 4.75f) / 5.5f);
  EXPECT_FLOAT_EQ(*set.tracks[1].arousal, (7 - 4.5f) / 4.0f);
  EXPECT_FLOAT_EQ(*set.tracks[4].valence, 0.9f);  // explicit V-A wins
  EXPECT_DOUBLE_EQ(r.agreement, 1.0);
  EXPECT_TRUE(set.has_va);
  EXPECT_NE(r.Summary().find("4 of 5 mood words found"), std::string::npos)
      << r.Summary();
  // Without the lexicon the same file has no V-A for a..d.
  ASSERT_OK_AND_ASSIGN(LabelledSet plain, ReadLabels(csv));
  EXPECT_FALSE(plain.tracks[0].valence);
  EXPECT_NE(plain.Digest(), set.Digest());
}

TEST_F(LexiconTest, ValuesAreClampedAndAMissingWordsColumnIsAnError) {
  const std::string csv = dir_.File("labels.csv");
  std::ofstream(csv) << "path,quadrant,moods\n"
                        "a.mp3,Q1,joyful\n"
                        "b.mp3,Q3,gloomy\n"
                        "c.mp3,Q2,angry\n"
                        "d.mp3,Q4,calm\n";
  VaScaling s;
  s.valence_centre = 5;
  s.valence_scale = 1;
  EXPECT_EQ(s.Valence(9), 1.0f);
  EXPECT_EQ(s.Valence(-3), -1.0f);
  LabelsOptions o = WithLexicon();
  o.lexicon_words_column = "tags";
  auto missing = ReadLabels(csv, o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'tags'"), std::string::npos);
}

TEST(LexiconRealDataTest, FourQMoodsWithTheWarrinerNorms) {
  const std::filesystem::path data = MER_SOURCE_DIR "/../shared/data";
  const std::string labels = (data / "4q-dev/labels.csv").string();
  const std::string norms =
      (data / "lexicon/Ratings_Warriner_et_al.csv").string();
  if (!std::filesystem::exists(labels) || !std::filesystem::exists(norms)) {
    GTEST_SKIP() << "no ../shared/data (4q-dev labels and the lexicon)";
  }
  LabelsOptions o;
  o.lexicon = LexiconOptions{norms};
  ASSERT_OK_AND_ASSIGN(LabelledSet set, ReadLabels(labels, o));
  const LexiconReport& r = *set.lexicon;
  // 4637 words in the cells; two cells repeat a name, which counts once.
  EXPECT_EQ(r.words, 4635);
  EXPECT_EQ(r.words_found, 3948);
  EXPECT_EQ(r.tracks_with_va, 720);
  // Most tracks' word V-A lies in their labelled quadrant (the labels came
  // from these words), not all: a quadrant is a vote over many words.
  EXPECT_GT(r.agreement, 0.85);
  std::printf("%s\n", r.Summary().c_str());
}

}  // namespace
}  // namespace mer::core
