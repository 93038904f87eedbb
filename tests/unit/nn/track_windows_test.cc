// The windows of the one track-inference path: full windows every hop, the
// final partial one dropped, short tracks tiled, the optional cap, and the
// timeline's start seconds.
#include "common/nn/track_windows.h"

#include <gtest/gtest.h>

#include <vector>

namespace mer::nn {
namespace {

// value = mel * 1000 + frame, so every copied value says where it came from.
std::vector<float> Ramp(int n_mels, int n_frames) {
  std::vector<float> s;
  for (int m = 0; m < n_mels; ++m) {
    for (int f = 0; f < n_frames; ++f) s.push_back(m * 1000.0f + f);
  }
  return s;
}

WindowPlan Plan(int frames, int hop, int max_windows = 0) {
  WindowPlan p;
  p.frames = frames;
  p.hop_frames = hop;
  p.max_windows = max_windows;
  p.seconds_per_frame = 0.5;
  return p;
}

TEST(TrackWindowsTest, FullWindowsDropTheFinalPartialOne) {
  const std::vector<float> mel = Ramp(3, 25);
  const TrackWindows w = MakeWindows(mel.data(), 3, 25, Plan(10, 5));
  ASSERT_EQ(w.count(), 4);  // starts 0, 5, 10, 15; 20 would be partial
  EXPECT_EQ(w.start_seconds, (std::vector<float>{0, 2.5f, 5, 7.5f}));
  ASSERT_EQ(w.data.size(), 4u * 3 * 10);
  for (int i = 0; i < 4; ++i) {
    for (int m = 0; m < 3; ++m) {
      for (int f = 0; f < 10; ++f) {
        EXPECT_EQ(w.window(i)[m * 10 + f], m * 1000.0f + 5 * i + f);
      }
    }
  }
}

TEST(TrackWindowsTest, ExactFitGivesOneWindow) {
  const std::vector<float> mel = Ramp(2, 10);
  const TrackWindows w = MakeWindows(mel.data(), 2, 10, Plan(10, 5));
  ASSERT_EQ(w.count(), 1);
  EXPECT_EQ(w.data, mel);
  EXPECT_EQ(WindowStarts(14, Plan(10, 5)).size(), 1u);
  EXPECT_EQ(WindowStarts(15, Plan(10, 5)).size(), 2u);
}

TEST(TrackWindowsTest, ShortTrackIsRepeatedToFillOneWindow) {
  const std::vector<float> mel = Ramp(2, 4);
  const TrackWindows w = MakeWindows(mel.data(), 2, 4, Plan(10, 5));
  ASSERT_EQ(w.count(), 1);
  EXPECT_EQ(w.start_seconds, std::vector<float>{0});
  for (int m = 0; m < 2; ++m) {
    for (int f = 0; f < 10; ++f) {
      EXPECT_EQ(w.window(0)[m * 10 + f], m * 1000.0f + f % 4);
    }
  }
  std::vector<float> out(2 * 7);
  const std::vector<float> tiny = {1, 2, 3, 10, 20, 30};  // 2 mels x 3 frames
  CopyWindow(tiny.data(), 2, 3, 0, 7, out.data());
  EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 1, 2, 3, 1, 10, 20, 30, 10, 20,
                                     30, 10}));
}

TEST(TrackWindowsTest, EmptyTrackGivesNoWindow) {
  const TrackWindows w = MakeWindows(nullptr, 96, 0, Plan(256, 128));
  EXPECT_EQ(w.count(), 0);
  EXPECT_TRUE(w.data.empty());
}

TEST(TrackWindowsTest, TheCapSpreadsWindowsFromFirstToLast) {
  EXPECT_EQ(WindowStarts(100, Plan(256, 128)), std::vector<int>{0});
  EXPECT_EQ(WindowStarts(600, Plan(256, 128)), (std::vector<int>{0, 128, 256}));
  EXPECT_EQ(WindowStarts(10000, Plan(256, 128)).size(), 77u);  // uncapped
  const std::vector<int> capped = WindowStarts(10000, Plan(256, 128, 4));
  ASSERT_EQ(capped.size(), 4u);
  EXPECT_EQ(capped.front(), 0);
  EXPECT_EQ(capped.back(), (10000 - 256) / 128 * 128);
}

TEST(TrackWindowsTest, ValidateNamesTheBadField) {
  EXPECT_TRUE(Plan(256, 128).Validate().ok());
  EXPECT_FALSE(Plan(0, 128).Validate().ok());
  EXPECT_FALSE(Plan(256, 0).Validate().ok());
  EXPECT_FALSE(Plan(256, 128, -1).Validate().ok());
}

}  // namespace
}  // namespace mer::nn
