// Grouped folds, deterministic crops/augmentation and the SVG plots
// (torch-free parts of training).
#include "worker/train/data_split.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/nn/track_windows.h"
#include "worker/train/batch_assembler.h"
#include "worker/train/svg_plot.h"

namespace mer::worker {
namespace {

TEST(GroupedFoldsTest, NoGroupOnTwoSidesAndBalancedClasses) {
  std::vector<std::string> groups;
  std::vector<int> labels;
  // 40 artists with 1..4 tracks each, classes by artist.
  for (int a = 0; a < 40; ++a) {
    for (int t = 0; t < 1 + a % 4; ++t) {
      groups.push_back("artist" + std::to_string(a));
      labels.push_back(a % 4 == 0 ? (t % 4) : a % 4);
    }
  }
  std::vector<int> fold;
  ASSERT_TRUE(GroupedFolds(groups, labels, 5, 7, &fold).ok());
  std::map<std::string, std::set<int>> folds_of;
  std::vector<int> size(5, 0);
  for (size_t i = 0; i < groups.size(); ++i) {
    folds_of[groups[i]].insert(fold[i]);
    size[fold[i]]++;
  }
  for (const auto& [g, f] : folds_of) EXPECT_EQ(f.size(), 1u) << g;
  for (int s : size) {
    EXPECT_GE(s, static_cast<int>(groups.size()) / 5 - 4);
    EXPECT_LE(s, static_cast<int>(groups.size()) / 5 + 4);
  }
  // Same seed, same folds.
  std::vector<int> again;
  ASSERT_TRUE(GroupedFolds(groups, labels, 5, 7, &again).ok());
  EXPECT_EQ(fold, again);
}

TEST(GroupedFoldsTest, TooFewGroupsIsAnError) {
  std::vector<int> fold;
  EXPECT_FALSE(GroupedFolds({"a", "a", "b"}, {0, 1, 2}, 3, 1, &fold).ok());
  EXPECT_FALSE(GroupedFolds({"a", "b"}, {0, 1}, 1, 1, &fold).ok());
}

TEST(SamplingTest, PermutationIsDeterministicAndComplete) {
  const std::vector<int> p = EpochPermutation(100, 3, 2);
  EXPECT_EQ(p, EpochPermutation(100, 3, 2));
  EXPECT_NE(p, EpochPermutation(100, 3, 3));
  std::set<int> all(p.begin(), p.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), 99);
}

TEST(SamplingTest, CropAndAugmentDependOnlyOnTheKey) {
  const int mels = 8, frames = 100, crop = 20;
  std::vector<float> mel(mels * frames);
  for (size_t i = 0; i < mel.size(); ++i)
    mel[i] = static_cast<float>(i % 97) - 50;
  AugmentOptions aug;
  aug.freq_mask_width = 3;
  aug.time_mask_width = 5;
  std::vector<float> a(mels * crop), b(mels * crop), c(mels * crop);
  CropAndAugment(mel.data(), mels, frames, crop, SampleKey(1, 2, 3), aug,
                 a.data());
  CropAndAugment(mel.data(), mels, frames, crop, SampleKey(1, 2, 3), aug,
                 b.data());
  CropAndAugment(mel.data(), mels, frames, crop, SampleKey(1, 2, 4), aug,
                 c.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Without augmentation a crop is a plain window of the source.
  aug.enabled = false;
  CropAndAugment(mel.data(), mels, frames, crop, SampleKey(9, 9, 9), aug,
                 a.data());
  bool found = false;
  for (int s = 0; s + crop <= frames && !found; ++s) {
    nn::CopyWindow(mel.data(), mels, frames, s, crop, b.data());
    found = a == b;
  }
  EXPECT_TRUE(found);
}

TEST(SvgPlotTest, ConfusionHasEveryCountAndLabel) {
  const std::string svg = ConfusionSvg("c", {{5, 1}, {2, 7}}, {"happy", "sad"});
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  for (const char* s :
       {">5<", ">1<", ">2<", ">7<", ">happy<", ">sad<", "</svg>"}) {
    EXPECT_NE(svg.find(s), std::string::npos) << s;
  }
}

TEST(SvgPlotTest, CurvesDrawOnePolylinePerCurve) {
  const std::string svg =
      LearningCurvesSvg("t", {{"loss", {1.0, 0.5, 0.25}, "red", false},
                              {"f1", {0.2, 0.4, 0.8}, "blue", true}});
  size_t n = 0;
  for (size_t p = svg.find("<polyline"); p != std::string::npos;
       p = svg.find("<polyline", p + 1))
    ++n;
  EXPECT_EQ(n, 2u);
}

}  // namespace
}  // namespace mer::worker
