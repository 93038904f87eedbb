#include "worker/train/data_split.h"

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

}  // namespace mer::worker
