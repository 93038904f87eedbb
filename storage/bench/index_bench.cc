// mer_index_bench: write throughput and query latency of the emotion index
// on synthetic records. Prints one JSON object.
//
//   mer_index_bench [--n 1000000] [--batch 1000] [--dim 64] [--queries 2000]
//                   [--ann] [--dir PATH] [--keep]
//
// --ann also builds the hnsw graph and times Similar. Without --dir the
// index goes to a fresh temporary directory, removed at the end (--keep
// leaves it).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "storage/emotion_index.h"

namespace {

using Clock = std::chrono::steady_clock;
using mer::storage::EmotionIndex;
using mer::storage::TrackResult;

struct BenchOptions {
  size_t n = 1'000'000;   // records written. Default: 1,000,000
  size_t batch = 1000;    // records per Write call. Default: 1000
  size_t dim = 64;        // embedding dimension. Default: 64
  size_t queries = 2000;  // queries of each kind. Default: 2000
  bool ann = false;       // build the hnsw graph and time Similar
  bool keep = false;
  std::string dir;
};

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

TrackResult SyntheticTrack(std::mt19937_64& rng, size_t i, size_t dim) {
  std::uniform_real_distribution<float> u(-1, 1), p(0, 1);
  std::normal_distribution<float> g;
  TrackResult t;
  char id[32];
  std::snprintf(id, sizeof(id), "trk%012zu", i);
  t.track_id = id;
  t.path = std::string("/catalogue/") + id + ".mp3";
  t.fingerprint = {rng() % 10'000'000, static_cast<int64_t>(rng() >> 1), rng()};
  t.duration_seconds = 30 + static_cast<double>(rng() % 600);
  t.valence = u(rng);
  t.arousal = u(rng);
  float sum = 0;
  for (float& x : t.quadrant_probs) sum += (x = p(rng) + 1e-3f);
  for (float& x : t.quadrant_probs) x /= sum;
  t.embedding.resize(dim);
  double norm = 0;
  for (float& x : t.embedding) {
    x = g(rng);
    norm += static_cast<double>(x) * x;
  }
  for (float& x : t.embedding) x = static_cast<float>(x / std::sqrt(norm));
  for (int s = 0; s < 8; ++s) t.timeline.push_back({s * 10.0f, u(rng), u(rng)});
  t.model_id = "bench";
  t.indexed_at_unix = 1'700'000'000;
  return t;
}

// Times `queries` calls of fn(i); returns p50/p99 in microseconds and the
// mean number of hits.
template <typename Fn>
nlohmann::json Time(size_t queries, Fn&& fn) {
  std::vector<double> us;
  double hits = 0;
  for (size_t i = 0; i < queries; ++i) {
    auto t0 = Clock::now();
    auto result = fn(i);
    us.push_back(Seconds(Clock::now() - t0) * 1e6);
    if (!result.ok()) {
      std::cerr << "query failed: " << result.status().ToString() << "\n";
      std::exit(1);
    }
    hits += static_cast<double>(result->size());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double q) {
    return us.empty() ? 0.0
                      : us[std::min(us.size() - 1,
                                    static_cast<size_t>(q * us.size()))];
  };
  return {{"queries", queries},
          {"p50_us", pct(0.50)},
          {"p99_us", pct(0.99)},
          {"mean_hits", queries ? hits / static_cast<double>(queries) : 0.0}};
}

bool ParseArgs(int argc, char** argv, BenchOptions* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    auto number = [&](size_t* out) {
      const char* v = next();
      if (v == nullptr) return false;
      *out = std::stoull(v);
      return true;
    };
    if (a == "--n") {
      if (!number(&o->n)) return false;
    } else if (a == "--batch") {
      if (!number(&o->batch) || o->batch == 0) return false;
    } else if (a == "--dim") {
      if (!number(&o->dim) || o->dim == 0) return false;
    } else if (a == "--queries") {
      if (!number(&o->queries)) return false;
    } else if (a == "--ann") {
      o->ann = true;
    } else if (a == "--keep") {
      o->keep = true;
    } else if (a == "--dir") {
      const char* v = next();
      if (v == nullptr) return false;
      o->dir = v;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
  if (!ParseArgs(argc, argv, &o)) {
    std::cerr << "usage: mer_index_bench [--n N] [--batch B] [--dim D] "
                 "[--queries Q] [--ann] [--dir PATH] [--keep]\n";
    return 2;
  }
  const bool temp = o.dir.empty();
  if (temp) {
    o.dir = (std::filesystem::temp_directory_path() /
             ("mer_index_bench_" + std::to_string(::getpid())))
                .string();
  }
  auto opened = EmotionIndex::Open(o.dir);
  if (!opened.ok()) {
    std::cerr << opened.status().ToString() << "\n";
    return 1;
  }
  std::unique_ptr<EmotionIndex> index = std::move(*opened);

  std::mt19937_64 rng(12345);
  std::vector<double> batch_ms;
  auto w0 = Clock::now();
  for (size_t i = 0; i < o.n; i += o.batch) {
    std::vector<TrackResult> batch;
    for (size_t j = i; j < std::min(o.n, i + o.batch); ++j) {
      batch.push_back(SyntheticTrack(rng, j, o.dim));
    }
    auto b0 = Clock::now();
    mer::core::Status s = index->Write(batch, {});
    batch_ms.push_back(Seconds(Clock::now() - b0) * 1e3);
    if (!s.ok()) {
      std::cerr << s.ToString() << "\n";
      return 1;
    }
  }
  const double write_s = Seconds(Clock::now() - w0);
  std::sort(batch_ms.begin(), batch_ms.end());

  nlohmann::json out;
  out["n"] = o.n;
  out["dim"] = o.dim;
  out["batch"] = o.batch;
  out["write_seconds"] = write_s;  // includes generating the records
  out["writes_per_s"] = static_cast<double>(o.n) / write_s;
  out["batch_write_ms_p50"] =
      batch_ms.empty() ? 0 : batch_ms[batch_ms.size() / 2];

  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<std::array<float, 2>> points(o.queries);
  for (auto& p : points) p = {u(rng), u(rng)};
  out["top_by_mood_10"] = Time(o.queries, [&](size_t i) {
    return index->TopByMood(static_cast<mer::core::Quadrant>(i % 4), 10, 0.3f);
  });
  out["nearest_va_10"] = Time(o.queries, [&](size_t i) {
    return index->NearestVa(points[i][0], points[i][1], 10);
  });
  out["box_0.05"] = Time(o.queries, [&](size_t i) {
    float v = points[i][0], a = points[i][1];
    return index->Box(v, v + 0.05f, a, a + 0.05f);
  });
  if (o.ann) {
    auto a0 = Clock::now();
    mer::core::Status s = index->BuildAnn();
    if (!s.ok()) {
      std::cerr << s.ToString() << "\n";
      return 1;
    }
    out["ann_build_seconds"] = Seconds(Clock::now() - a0);
    out["similar_ann_10"] = Time(o.queries, [&](size_t i) {
      char id[32];
      std::snprintf(id, sizeof(id), "trk%012zu", (i * 7919) % o.n);
      return index->Similar(id, 10);
    });
  }
  auto stats = index->Stats();
  if (stats.ok()) out["tracks"] = stats->tracks;
  index.reset();
  if (temp && !o.keep) std::filesystem::remove_all(o.dir);
  std::cout << out.dump(2) << std::endl;
  return 0;
}
