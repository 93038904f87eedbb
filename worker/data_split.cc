#include "worker/data_split.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <random>

#include "common/core/digest.h"

namespace mer::worker {

core::Status AugmentOptions::Validate() const {
  if (gain_db < 0)
    return core::Status::InvalidArgument("--aug-gain-db must be >= 0");
  if (freq_masks < 0 || time_masks < 0 || freq_mask_width < 0 ||
      time_mask_width < 0) {
    return core::Status::InvalidArgument("mask counts and widths must be >= 0");
  }
  return core::Status::Ok();
}

uint64_t SampleKey(uint64_t seed, uint64_t epoch, uint64_t index) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + epoch * 0xC2B2AE3D27D4EB4FULL +
               index * 0x165667B19E3779F9ULL + 0x27D4EB2F165667C5ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double KeyUniform(uint64_t key, uint64_t n) {
  const uint64_t h = SampleKey(key, n, 0x51ED);
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

std::vector<int> EpochPermutation(int n, uint64_t seed, int epoch) {
  std::vector<int> p(n);
  std::iota(p.begin(), p.end(), 0);
  std::mt19937_64 rng(SampleKey(seed, static_cast<uint64_t>(epoch), 0xF00D));
  // Fisher-Yates with our own draws: std::shuffle's use of the engine is
  // implementation-defined.
  for (int i = n - 1; i > 0; --i) {
    const int j = static_cast<int>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(p[i], p[j]);
  }
  return p;
}

core::Status GroupedFolds(const std::vector<std::string>& groups,
                          const std::vector<int>& labels, int k, uint64_t seed,
                          std::vector<int>* fold) {
  if (k < 2) return core::Status::InvalidArgument("folds must be >= 2");
  std::map<std::string, std::vector<int>> members;
  for (size_t i = 0; i < groups.size(); ++i) members[groups[i]].push_back(i);
  if (static_cast<int>(members.size()) < k) {
    return core::Status::InvalidArgument(
        "cannot make " + std::to_string(k) + " grouped folds from " +
        std::to_string(members.size()) + " groups");
  }
  int num_classes = 1;
  for (int l : labels) num_classes = std::max(num_classes, l + 2);
  struct Group {
    std::vector<int> tracks;
    std::vector<int> counts;
    uint64_t tie;
  };
  std::vector<Group> list;
  for (auto& [name, tr] : members) {
    Group g{tr, std::vector<int>(num_classes, 0), 0};
    g.tie = SampleKey(seed, core::Digest64().Update(name).value(), 7);
    for (int i : tr) g.counts[labels[i] + 1]++;
    list.push_back(std::move(g));
  }
  // Largest groups first (they are the hardest to place), ties seeded.
  std::sort(list.begin(), list.end(), [](const Group& a, const Group& b) {
    if (a.tracks.size() != b.tracks.size())
      return a.tracks.size() > b.tracks.size();
    return a.tie < b.tie;
  });
  std::vector<std::vector<int64_t>> fc(k, std::vector<int64_t>(num_classes, 0));
  std::vector<int64_t> fsize(k, 0);
  fold->assign(groups.size(), 0);
  for (const Group& g : list) {
    int best = 0;
    int64_t best_cost = 0;
    for (int f = 0; f < k; ++f) {
      // Placing the group where its classes are rarest keeps every fold's
      // class mix close to the whole set's; then the smaller fold.
      int64_t cost = 0;
      for (int c = 0; c < num_classes; ++c) cost += fc[f][c] * g.counts[c];
      cost = cost * 4 * static_cast<int64_t>(groups.size()) +
             fsize[f] * static_cast<int64_t>(g.tracks.size());
      if (f == 0 || cost < best_cost) {
        best = f;
        best_cost = cost;
      }
    }
    for (int c = 0; c < num_classes; ++c) fc[best][c] += g.counts[c];
    fsize[best] += static_cast<int64_t>(g.tracks.size());
    for (int i : g.tracks) (*fold)[i] = best;
  }
  return core::Status::Ok();
}

void CopyWindow(const float* mel, int n_mels, int n_frames, int start,
                int frames, float* out) {
  for (int m = 0; m < n_mels; ++m) {
    const float* src = mel + static_cast<size_t>(m) * n_frames;
    float* dst = out + static_cast<size_t>(m) * frames;
    if (start + frames <= n_frames) {
      std::copy(src + start, src + start + frames, dst);
    } else {
      for (int t = 0; t < frames; ++t) dst[t] = src[(start + t) % n_frames];
    }
  }
}

void CropAndAugment(const float* mel, int n_mels, int n_frames, int out_frames,
                    uint64_t key, const AugmentOptions& augment, float* out) {
  int start = 0;
  if (n_frames > out_frames) {
    start = static_cast<int>(KeyUniform(key, 0) * (n_frames - out_frames + 1));
    start = std::min(start, n_frames - out_frames);
  }
  CopyWindow(mel, n_mels, n_frames, start, out_frames, out);
  if (!augment.enabled) return;
  const size_t n = static_cast<size_t>(n_mels) * out_frames;
  const float gain =
      static_cast<float>((2 * KeyUniform(key, 1) - 1) * augment.gain_db);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    out[i] += gain;
    sum += out[i];
  }
  const float fill = static_cast<float>(sum / static_cast<double>(n));
  uint64_t draw = 2;
  for (int i = 0; i < augment.freq_masks; ++i) {
    const int w =
        static_cast<int>(KeyUniform(key, draw++) *
                         (std::min(augment.freq_mask_width, n_mels) + 1));
    const int f0 = static_cast<int>(KeyUniform(key, draw++) * (n_mels - w + 1));
    for (int m = f0; m < f0 + w && m < n_mels; ++m) {
      std::fill(out + static_cast<size_t>(m) * out_frames,
                out + static_cast<size_t>(m + 1) * out_frames, fill);
    }
  }
  for (int i = 0; i < augment.time_masks; ++i) {
    const int w =
        static_cast<int>(KeyUniform(key, draw++) *
                         (std::min(augment.time_mask_width, out_frames) + 1));
    const int t0 =
        static_cast<int>(KeyUniform(key, draw++) * (out_frames - w + 1));
    for (int m = 0; m < n_mels; ++m) {
      float* row = out + static_cast<size_t>(m) * out_frames;
      for (int t = t0; t < t0 + w && t < out_frames; ++t) row[t] = fill;
    }
  }
}

std::vector<int> EvalWindowStarts(int n_frames, int frames, int hop,
                                  int max_windows) {
  std::vector<int> starts;
  if (n_frames <= frames) return {0};
  for (int s = 0; s + frames <= n_frames; s += std::max(1, hop))
    starts.push_back(s);
  if (max_windows > 0 && static_cast<int>(starts.size()) > max_windows) {
    std::vector<int> picked;
    const double step =
        static_cast<double>(starts.size() - 1) / std::max(1, max_windows - 1);
    for (int i = 0; i < max_windows; ++i) {
      picked.push_back(starts[static_cast<size_t>(std::lround(i * step))]);
    }
    return picked;
  }
  return starts;
}

}  // namespace mer::worker
