// Signals with known descriptors for the DescriptorExtractor tests: sums of
// sines, harmonic tones, deterministic noise, click trains; and small
// statistics over descriptor rows.
#ifndef MER_TESTS_UNIT_DSP_DESCRIPTOR_TEST_UTIL_H_
#define MER_TESTS_UNIT_DSP_DESCRIPTOR_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "common/dsp/descriptor_extractor.h"
#include "common/dsp/front_end_params.h"
#include "common/dsp/tonal_centroid.h"
#include "common/dsp/track_statistics.h"

namespace mer::dsp::testing {

inline FrontEndParams Preset(const std::string& name) {
  core::Result<FrontEndParams> p = PresetParams(name);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : FrontEndParams{};
}

// Equal-tempered pitch of a MIDI note (A4 = 69 = 440 Hz).
inline double NoteHz(int midi) {
  return 440.0 * std::pow(2.0, (midi - 69) / 12.0);
}

// Sum of sines (amplitude `amp` each) at `hz`, `seconds` long.
inline std::vector<float> Tones(const std::vector<double>& hz, int sample_rate,
                                double seconds, double amp = 0.2) {
  std::vector<float> x(static_cast<size_t>(seconds * sample_rate), 0.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    double v = 0.0;
    for (double f : hz) {
      v += amp * std::sin(2.0 * std::numbers::pi * f * i / sample_rate);
    }
    x[i] = static_cast<float>(v);
  }
  return x;
}

// Harmonic tones: partials 1..6 of each fundamental at amplitude 0.1 / k.
inline std::vector<float> HarmonicTones(const std::vector<double>& f0,
                                        int sample_rate, double seconds) {
  std::vector<float> x(static_cast<size_t>(seconds * sample_rate), 0.0f);
  for (double f : f0) {
    for (int k = 1; k <= 6; ++k) {
      const std::vector<float> p =
          Tones({k * f}, sample_rate, seconds, 0.1 / k);
      for (size_t i = 0; i < x.size(); ++i) x[i] += p[i];
    }
  }
  return x;
}

// Deterministic uniform noise in [-amp, amp) (a linear congruential
// generator).
inline std::vector<float> Noise(size_t n, float amp = 0.5f, uint32_t seed = 1) {
  std::vector<float> x(n);
  for (float& v : x) {
    seed = seed * 1664525u + 1013904223u;
    v = amp * (2.0f * static_cast<float>(seed >> 8) / (1 << 24) - 1.0f);
  }
  return x;
}

// Clicks (10 ms decaying noise bursts, the first at 0.25 s) at `bpm` over
// noise 54 dB down.
inline std::vector<float> ClickTrain(double bpm, int sample_rate,
                                     double seconds) {
  std::vector<float> x =
      Noise(static_cast<size_t>(seconds * sample_rate), 1e-3f, 7);
  const std::vector<float> burst = Noise(sample_rate / 100, 0.8f, 11);
  const double period = 60.0 / bpm * sample_rate;
  for (double start = 0.25 * sample_rate; start < x.size(); start += period) {
    for (size_t i = 0; i < burst.size(); ++i) {
      const size_t j = static_cast<size_t>(start) + i;
      if (j >= x.size()) break;
      x[j] += burst[i] * static_cast<float>(std::exp(-5.0 * i / burst.size()));
    }
  }
  return x;
}

// Mean of v[from, to); to == 0 means the end.
inline double Mean(std::span<const float> v, size_t from = 0, size_t to = 0) {
  if (to == 0) to = v.size();
  double s = 0.0;
  for (size_t i = from; i < to; ++i) s += v[i];
  return s / static_cast<double>(to - from);
}

inline double Median(std::span<const float> v, size_t from, size_t to) {
  std::vector<float> x(v.begin() + from, v.begin() + to);
  std::nth_element(x.begin(), x.begin() + x.size() / 2, x.end());
  return x[x.size() / 2];
}

inline void ExpectAllFinite(const DescriptorMatrix& m,
                            const std::string& what) {
  for (int r = 0; r < m.n_dims; ++r) {
    for (int t = 0; t < m.n_frames; ++t) {
      ASSERT_TRUE(std::isfinite(m.at(r, t)))
          << what << ": " << DescriptorNames()[r] << " frame " << t << " = "
          << m.at(r, t);
    }
  }
  const std::vector<float> stats = TrackStatistics(m);
  for (size_t i = 0; i < stats.size(); ++i) {
    ASSERT_TRUE(std::isfinite(stats[i]))
        << what << ": " << TrackStatisticNames()[i];
  }
}

inline Chroma MeanChroma(const DescriptorMatrix& m) {
  Chroma c{};
  for (int i = 0; i < 12; ++i) c[i] = Mean(m.Row(kChromaRow + i));
  return c;
}

}  // namespace mer::dsp::testing

#endif  // MER_TESTS_UNIT_DSP_DESCRIPTOR_TEST_UTIL_H_
