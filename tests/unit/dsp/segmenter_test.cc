#include "common/dsp/segmenter.h"

#include <gtest/gtest.h>

namespace mer::dsp {
namespace {

// value = mel * 1000 + frame, so every copied value says where it came from.
Spectrogram Ramp(int n_mels, int n_frames) {
  Spectrogram s;
  s.n_mels = n_mels;
  s.n_frames = n_frames;
  for (int m = 0; m < n_mels; ++m) {
    for (int f = 0; f < n_frames; ++f) s.data.push_back(m * 1000.0f + f);
  }
  return s;
}

float At(const Segments& s, int i, int m, int f) {
  return s.segment(i)[m * s.n_frames + f];
}

TEST(SegmenterTest, FullWindowsDropTheFinalPartialOne) {
  const Segments s = SegmentSpectrogram(Ramp(3, 25), 10, 5);
  EXPECT_EQ(s.n_segments, 4);  // starts 0, 5, 10, 15; 20 would be partial
  EXPECT_EQ(s.n_mels, 3);
  EXPECT_EQ(s.n_frames, 10);
  EXPECT_EQ(s.start_frames, (std::vector<int>{0, 5, 10, 15}));
  ASSERT_EQ(s.data.size(), 4u * 3 * 10);
  for (int i = 0; i < 4; ++i) {
    for (int m = 0; m < 3; ++m) {
      for (int f = 0; f < 10; ++f) {
        EXPECT_EQ(At(s, i, m, f), m * 1000.0f + 5 * i + f);
      }
    }
  }
}

TEST(SegmenterTest, ExactFitGivesOneSegment) {
  const Segments s = SegmentSpectrogram(Ramp(2, 10), 10, 5);
  EXPECT_EQ(s.n_segments, 1);
  EXPECT_EQ(s.data, Ramp(2, 10).data);
  EXPECT_EQ(SegmentSpectrogram(Ramp(2, 14), 10, 5).n_segments, 1);
  EXPECT_EQ(SegmentSpectrogram(Ramp(2, 15), 10, 5).n_segments, 2);
}

TEST(SegmenterTest, ShortSpectrogramIsRepeatedToFillOneSegment) {
  const Segments s = SegmentSpectrogram(Ramp(2, 4), 10, 5);
  ASSERT_EQ(s.n_segments, 1);
  EXPECT_EQ(s.start_frames, std::vector<int>{0});
  for (int m = 0; m < 2; ++m) {
    for (int f = 0; f < 10; ++f) EXPECT_EQ(At(s, 0, m, f), m * 1000.0f + f % 4);
  }
}

TEST(SegmenterTest, EmptySpectrogramGivesNoSegments) {
  const Segments s = SegmentSpectrogram(Ramp(96, 0), 256, 128);
  EXPECT_EQ(s.n_segments, 0);
  EXPECT_TRUE(s.data.empty());
  EXPECT_TRUE(s.start_frames.empty());
}

TEST(SegmenterTest, PresetSizesGiveModelInputs) {
  const FrontEndParams p = *PresetParams("paper2019");
  const Segments s = SegmentSpectrogram(Ramp(p.n_mels, 3000), p.SegmentFrames(),
                                        p.SegmentHopFrames());
  EXPECT_EQ(s.n_segments, 2);  // 96 x 1366 inputs at 0 and 1366
  EXPECT_EQ(s.n_frames, 1366);
  EXPECT_EQ(s.start_frames, (std::vector<int>{0, 1366}));
}

}  // namespace
}  // namespace mer::dsp
