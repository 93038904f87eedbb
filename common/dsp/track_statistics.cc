#include "common/dsp/track_statistics.h"

#include <algorithm>
#include <cmath>

#include "common/core/check.h"
#include "common/dsp/key_profile.h"

namespace mer::dsp {
namespace {

// numpy.percentile's default (linear between closest ranks) of sorted `x`.
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = q / 100.0 * (sorted.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  const size_t j = std::min(i + 1, sorted.size() - 1);
  return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
}

std::vector<double> SortedRow(const DescriptorMatrix& m, int row) {
  std::span<const float> r = m.Row(row);
  std::vector<double> v(r.begin(), r.end());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

const std::vector<std::string>& TrackStatisticNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> n;
    for (const std::string& row : DescriptorNames()) {
      n.push_back(row + ".mean");
      n.push_back(row + ".std");
    }
    for (const char* s : {"rms_db.range", "tempo_bpm.median",
                          "key_clarity.track", "mode.track"}) {
      n.push_back(s);
    }
    return n;
  }();
  return kNames;
}

std::vector<float> TrackStatistics(const DescriptorMatrix& m) {
  MER_CHECK(m.n_dims == kNumDescriptors &&
            m.data.size() == static_cast<size_t>(m.n_dims) * m.n_frames);
  std::vector<float> out(TrackStatisticNames().size(), 0.0f);
  if (m.n_frames == 0) return out;
  const double n = m.n_frames;
  std::vector<double> means(m.n_dims);
  for (int r = 0; r < m.n_dims; ++r) {
    double sum = 0.0;
    for (float v : m.Row(r)) sum += v;
    const double mean = sum / n;
    double var = 0.0;
    for (float v : m.Row(r)) var += (v - mean) * (v - mean);
    means[r] = mean;
    out[2 * r] = static_cast<float>(mean);
    out[2 * r + 1] = static_cast<float>(std::sqrt(var / n));
  }
  size_t i = 2 * static_cast<size_t>(m.n_dims);
  const std::vector<double> rms = SortedRow(m, kRmsDbRow);
  out[i++] = static_cast<float>(Percentile(rms, 95) - Percentile(rms, 5));
  out[i++] = static_cast<float>(Percentile(SortedRow(m, kTempoRow), 50));
  std::array<double, 12> chroma{};
  for (int c = 0; c < 12; ++c) chroma[c] = means[kChromaRow + c];
  const KeyEstimate key = EstimateKey(chroma);
  out[i++] = static_cast<float>(key.clarity);
  out[i++] = static_cast<float>(key.mode);
  return out;
}

}  // namespace mer::dsp
