// query::ComputeThemes: k-means sub-clusters ("themes") within each
// quadrant, and their meta entry (storage/query.h).
//
// Hand-written on purpose: spherical k-means is 60 lines here, while the
// libraries that have it (mlpack, faiss) are not in the dependency set and
// would add a heavy build for one loop. Two passes over the index: sample
// (reservoir, at most kFitSample per quadrant) and fit; then assign every
// track, so memory stays bounded on a catalogue of any size.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>

#include "storage/query.h"

namespace mer::storage::query {
namespace {

constexpr size_t kFitSample = 20000;
constexpr int kIterations = 25;
constexpr size_t kTypical = 10;
constexpr int kMaxAutoK = 8;
constexpr const char* kMetaName = "themes";

using Vec = std::vector<float>;

float Dot(const Vec& x, const Vec& y) {
  float s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

void Normalise(Vec* x) {
  const float n = std::sqrt(Dot(*x, *x));
  if (n > 0) {
    for (float& v : *x) v /= n;
  }
}

size_t Nearest(const std::vector<Vec>& centres, const Vec& x, float* cos) {
  size_t best = 0;
  float best_cos = -2;
  for (size_t c = 0; c < centres.size(); ++c) {
    const float s = Dot(centres[c], x);
    if (s > best_cos) {
      best_cos = s;
      best = c;
    }
  }
  if (cos) *cos = best_cos;
  return best;
}

// Spherical k-means with k-means++ seeding on unit vectors.
std::vector<Vec> FitCentres(const std::vector<Vec>& xs, size_t k) {
  std::mt19937 rng(42);
  std::vector<Vec> centres;
  centres.push_back(xs[std::uniform_int_distribution<size_t>(0, xs.size() - 1)(rng)]);
  std::vector<double> d2(xs.size());
  while (centres.size() < k) {
    double total = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      float cos = 0;
      Nearest(centres, xs[i], &cos);
      d2[i] = std::max(0.0, 1.0 - cos);  // 1 - cos: half the squared distance
      total += d2[i];
    }
    if (total <= 0) break;  // fewer distinct points than k
    double pick = std::uniform_real_distribution<double>(0, total)(rng);
    size_t i = 0;
    while (i + 1 < xs.size() && (pick -= d2[i]) > 0) ++i;
    centres.push_back(xs[i]);
  }
  std::vector<size_t> label(xs.size());
  for (int it = 0; it < kIterations; ++it) {
    bool changed = it == 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const size_t c = Nearest(centres, xs[i], nullptr);
      changed = changed || c != label[i];
      label[i] = c;
    }
    if (!changed) break;
    std::vector<Vec> sum(centres.size(), Vec(xs[0].size(), 0.0f));
    std::vector<size_t> count(centres.size(), 0);
    for (size_t i = 0; i < xs.size(); ++i) {
      for (size_t d = 0; d < xs[i].size(); ++d) sum[label[i]][d] += xs[i][d];
      ++count[label[i]];
    }
    for (size_t c = 0; c < centres.size(); ++c) {
      if (count[c] == 0) continue;  // keeps its centre
      Normalise(&sum[c]);
      centres[c] = std::move(sum[c]);
    }
  }
  return centres;
}

size_t AutoK(size_t n, int k) {
  if (n == 0) return 0;
  size_t want = k > 0 ? static_cast<size_t>(k)
                      : static_cast<size_t>(std::clamp<double>(
                            std::round(std::sqrt(n / 2.0)), 1, kMaxAutoK));
  return std::min(want, n);
}

// Themes of the quadrants in `which` (indexes 0..3).
core::Result<std::array<std::vector<Theme>, 4>> Compute(
    const EmotionIndex& index, const std::array<bool, 4>& which, int k) {
  // Pass 1: counts and a reservoir sample of embeddings per quadrant.
  std::array<std::vector<Vec>, 4> sample;
  std::array<size_t, 4> seen{};
  std::mt19937_64 rng(7);
  MER_RETURN_IF_ERROR(index.ForEachTrack([&](const TrackResult& t) {
    const int q = static_cast<int>(t.quadrant());
    if (!which[q] || t.embedding.empty()) return true;
    const size_t i = seen[q]++;
    if (sample[q].size() < kFitSample) {
      sample[q].push_back(t.embedding);
    } else {
      const size_t j = std::uniform_int_distribution<size_t>(0, i)(rng);
      if (j < kFitSample) sample[q][j] = t.embedding;
    }
    return true;
  }));
  std::array<std::vector<Vec>, 4> centres;
  for (int q = 0; q < 4; ++q) {
    if (which[q] && !sample[q].empty()) {
      centres[q] = FitCentres(sample[q], AutoK(seen[q], k));
    }
  }
  // Pass 2: every track to its nearest centre (one theme when the quadrant
  // has no embeddings); sizes, mean V-A and the most typical tracks.
  using Typical = std::pair<float, std::string>;  // (cosine, id), min-heap
  struct Acc {
    size_t size = 0;
    double v = 0, a = 0;
    std::priority_queue<Typical, std::vector<Typical>, std::greater<>> top;
  };
  std::array<std::vector<Acc>, 4> acc;
  for (int q = 0; q < 4; ++q) acc[q].resize(std::max<size_t>(1, centres[q].size()));
  MER_RETURN_IF_ERROR(index.ForEachTrack([&](const TrackResult& t) {
    const int q = static_cast<int>(t.quadrant());
    if (!which[q]) return true;
    float cos = 0;
    const size_t c = centres[q].empty() || t.embedding.empty()
                         ? 0
                         : Nearest(centres[q], t.embedding, &cos);
    Acc& a = acc[q][c];
    ++a.size;
    a.v += t.valence;
    a.a += t.arousal;
    a.top.emplace(cos, t.track_id);
    if (a.top.size() > kTypical) a.top.pop();
    return true;
  }));
  std::array<std::vector<Theme>, 4> out;
  for (int q = 0; q < 4; ++q) {
    if (!which[q]) continue;
    for (size_t c = 0; c < acc[q].size(); ++c) {
      Acc& a = acc[q][c];
      if (a.size == 0) continue;
      Theme th;
      th.size = a.size;
      th.valence = static_cast<float>(a.v / a.size);
      th.arousal = static_cast<float>(a.a / a.size);
      std::vector<Typical> top;
      for (; !a.top.empty(); a.top.pop()) top.push_back(a.top.top());
      std::sort(top.begin(), top.end(), [](const Typical& x, const Typical& y) {
        return x.first != y.first ? x.first > y.first : x.second < y.second;
      });
      for (auto& [cos, id] : top) th.tracks.push_back(std::move(id));
      out[q].push_back(std::move(th));
    }
    // Largest theme first; ids in that order.
    std::stable_sort(out[q].begin(), out[q].end(),
                     [](const Theme& x, const Theme& y) { return x.size > y.size; });
    for (size_t i = 0; i < out[q].size(); ++i) out[q][i].id = static_cast<int>(i);
  }
  return out;
}

}  // namespace

core::Result<ThemeSet> ComputeThemes(const EmotionIndex& index, int k) {
  if (k < 0) return core::Status::InvalidArgument("themes k", "must be >= 0");
  ThemeSet set;
  set.k = k;
  MER_ASSIGN_OR_RETURN(IndexStats stats, index.Stats());
  set.tracks = stats.tracks;
  MER_ASSIGN_OR_RETURN(set.per_quadrant, Compute(index, {true, true, true, true}, k));
  return set;
}

core::Result<std::vector<Theme>> ComputeQuadrantThemes(
    const EmotionIndex& index, core::Quadrant quadrant, int k) {
  if (k < 0) return core::Status::InvalidArgument("themes k", "must be >= 0");
  std::array<bool, 4> which{};
  which[static_cast<int>(quadrant)] = true;
  MER_ASSIGN_OR_RETURN(auto all, Compute(index, which, k));
  return std::move(all[static_cast<int>(quadrant)]);
}

core::Status StoreThemes(EmotionIndex& index, const ThemeSet& set) {
  nlohmann::json quadrants = nlohmann::json::object();
  for (int q = 0; q < 4; ++q) {
    nlohmann::json list = nlohmann::json::array();
    for (const Theme& t : set.per_quadrant[q]) {
      list.push_back({{"id", t.id},
                      {"size", t.size},
                      {"valence", t.valence},
                      {"arousal", t.arousal},
                      {"tracks", t.tracks}});
    }
    quadrants[std::string(core::QuadrantName(static_cast<core::Quadrant>(q)))] =
        std::move(list);
  }
  return index.PutMeta(
      kMetaName,
      nlohmann::json{{"k", set.k}, {"tracks", set.tracks}, {"quadrants", quadrants}}
          .dump());
}

core::Result<std::optional<ThemeSet>> LoadThemes(const EmotionIndex& index) {
  MER_ASSIGN_OR_RETURN(auto text, index.GetMeta(kMetaName));
  if (!text) return std::optional<ThemeSet>();
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  auto corrupt = [&] {
    return core::Status::Corruption("index " + index.dir(),
                                    "unreadable themes entry in meta");
  };
  if (!j.is_object() || !j.contains("quadrants")) return corrupt();
  ThemeSet set;
  try {
    set.k = j.at("k").get<int>();
    set.tracks = j.at("tracks").get<uint64_t>();
    for (int q = 0; q < 4; ++q) {
      const std::string name(core::QuadrantName(static_cast<core::Quadrant>(q)));
      for (const auto& t : j.at("quadrants").at(name)) {
        set.per_quadrant[q].push_back(Theme{
            t.at("id").get<int>(), t.at("size").get<size_t>(),
            t.at("valence").get<float>(), t.at("arousal").get<float>(),
            t.at("tracks").get<std::vector<std::string>>()});
      }
    }
  } catch (const nlohmann::json::exception&) {
    return corrupt();
  }
  return std::optional<ThemeSet>(std::move(set));
}

}  // namespace mer::storage::query
