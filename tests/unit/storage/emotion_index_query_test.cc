// EmotionIndex queries against brute force over random records.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "storage/emotion_index.h"
#include "tests/unit/storage/index_test_util.h"

namespace mer::storage {
namespace {

using testing::RandomTrack;
using testing::RandomUnitVector;
using testing::TempDir;
using Hit = EmotionIndex::Hit;

// A few thousand random points plus the awkward ones: borders and corners
// of the plane, duplicates, points on grid steps, points just outside.
std::vector<TrackResult> AwkwardCatalogue(std::mt19937& rng) {
  std::vector<TrackResult> out;
  int n = 0;
  auto add = [&](float v, float a) {
    TrackResult t = RandomTrack(rng, "t" + std::to_string(100000 + n++), 4);
    t.valence = v;
    t.arousal = a;
    out.push_back(std::move(t));
  };
  std::uniform_real_distribution<float> u(-1, 1);
  for (int i = 0; i < 3000; ++i) add(u(rng), u(rng));
  for (float v : {-1.0f, 1.0f}) {
    for (float a : {-1.0f, 1.0f}) {
      add(v, a);
      add(v, a);  // duplicate position
    }
  }
  for (int i = 0; i <= 20; ++i) {
    float s = -1 + i * 0.1f;
    add(s, -1);
    add(s, 1);
    add(-1, s);
    add(1, s);
    add(s, 0);
    add(0, s);
    add(0.5f, 0.5f);  // many duplicates
  }
  for (int i = 0; i < 50; ++i) {  // on the quantisation grid and next to it
    float g = static_cast<float>((rng() % 65536) * 2.0 / 65535 - 1.0);
    add(g, std::nextafter(g, 2.0f));
    add(std::nextafter(g, -2.0f), g);
  }
  add(1.25f, 0.3f);  // outside [-1, 1]: allowed, clamped in the key only
  add(-0.2f, -1.5f);
  return out;
}

class IndexQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(42);
    tracks_ = AwkwardCatalogue(rng);
    auto index = EmotionIndex::Open(dir_.path());
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    index_ = std::move(*index);
    for (size_t i = 0; i < tracks_.size(); i += 500) {
      std::vector<TrackResult> chunk(
          tracks_.begin() + i,
          tracks_.begin() + std::min(i + 500, tracks_.size()));
      ASSERT_OK(index_->Write(chunk, {}));
    }
  }

  std::vector<std::string> BruteBox(float v0, float v1, float a0, float a1) {
    std::vector<std::string> ids;
    for (const TrackResult& t : tracks_) {
      if (t.valence >= v0 && t.valence <= v1 && t.arousal >= a0 &&
          t.arousal <= a1) {
        ids.push_back(t.track_id);
      }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::vector<std::pair<double, std::string>> BruteNearest(float v, float a,
                                                           size_t k) {
    std::vector<std::pair<double, std::string>> all;
    for (const TrackResult& t : tracks_) {
      double dv = static_cast<double>(t.valence) - v;
      double da = static_cast<double>(t.arousal) - a;
      all.emplace_back(std::sqrt(dv * dv + da * da), t.track_id);
    }
    std::sort(all.begin(), all.end());
    all.resize(std::min(k, all.size()));
    return all;
  }

  TempDir dir_;
  std::vector<TrackResult> tracks_;
  std::unique_ptr<EmotionIndex> index_;
};

std::vector<std::string> Ids(const std::vector<Hit>& hits) {
  std::vector<std::string> ids;
  for (const Hit& h : hits) ids.push_back(h.track_id);
  return ids;
}

TEST_F(IndexQueryTest, BoxEqualsBruteForce) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.1f, 1.1f);
  std::vector<std::array<float, 4>> boxes = {
      {-1, 1, -1, 1},       {-2, 2, -2, 2},      {0.5f, 0.5f, 0.5f, 0.5f},
      {-1, -1, -1, 1},      {1, 1, -1, 1},       {-1, 1, 1, 1},
      {0, 0, -1, 1},        {-0.3f, 0.3f, 0, 0}, {1, 1.3f, 0, 0.5f},
      {-0.5f, 0, -2, -1.2f}};
  for (int i = 0; i < 300; ++i) {
    float v0 = u(rng), v1 = u(rng), a0 = u(rng), a1 = u(rng);
    if (i % 3 == 0) {  // small boxes
      v1 = v0 + 0.02f;
      a1 = a0 + 0.01f;
    }
    boxes.push_back({std::min(v0, v1), std::max(v0, v1), std::min(a0, a1),
                     std::max(a0, a1)});
  }
  // Boxes whose edges sit exactly on stored values.
  for (int i = 0; i < 50; ++i) {
    const TrackResult& p = tracks_[rng() % tracks_.size()];
    const TrackResult& q = tracks_[rng() % tracks_.size()];
    boxes.push_back(
        {std::min(p.valence, q.valence), std::max(p.valence, q.valence),
         std::min(p.arousal, q.arousal), std::max(p.arousal, q.arousal)});
  }
  for (const auto& b : boxes) {
    ASSERT_OK_AND_ASSIGN(auto hits, index_->Box(b[0], b[1], b[2], b[3]));
    ASSERT_EQ(Ids(hits), BruteBox(b[0], b[1], b[2], b[3]))
        << "box V[" << b[0] << "," << b[1] << "] A[" << b[2] << "," << b[3]
        << "]";
  }
  ASSERT_OK_AND_ASSIGN(auto all, index_->Box(-2, 2, -2, 2));
  EXPECT_EQ(all.size(), tracks_.size());
  ASSERT_OK_AND_ASSIGN(auto empty, index_->Box(0.5f, 0.4f, 0, 1));
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(index_->Box(std::nanf(""), 1, 0, 1).status().IsInvalidArgument());
}

TEST_F(IndexQueryTest, NearestVaEqualsBruteForce) {
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> u(-1.2f, 1.2f);
  std::vector<std::pair<float, float>> queries = {
      {0.5f, 0.5f}, {-1, -1},      {1, 1}, {1, -1},
      {0, 0},       {1.25f, 0.3f}, {3, 3}, {-0.2f, -1.5f}};
  for (int i = 0; i < 200; ++i) queries.emplace_back(u(rng), u(rng));
  for (const auto& [v, a] : queries) {
    for (size_t k : {1, 5, 10, 37, 200}) {
      ASSERT_OK_AND_ASSIGN(auto hits, index_->NearestVa(v, a, k));
      auto want = BruteNearest(v, a, k);
      ASSERT_EQ(hits.size(), want.size());
      for (size_t i = 0; i < hits.size(); ++i) {
        ASSERT_EQ(hits[i].track_id, want[i].second)
            << "query (" << v << ", " << a << ") k=" << k << " rank " << i;
        ASSERT_FLOAT_EQ(hits[i].score, static_cast<float>(want[i].first));
      }
    }
  }
  ASSERT_OK_AND_ASSIGN(auto everything,
                           index_->NearestVa(0, 0, tracks_.size() + 10));
  EXPECT_EQ(everything.size(), tracks_.size());
}

TEST(IndexSimilarTest, ExactEqualsBruteForceAndAnnRecall) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto index, EmotionIndex::Open(dir.path()));
  std::mt19937 rng(11);
  constexpr size_t kDim = 32, kN = 400, kK = 10;
  std::vector<TrackResult> tracks;
  for (size_t i = 0; i < kN; ++i) {
    tracks.push_back(RandomTrack(rng, "e" + std::to_string(i), kDim));
  }
  ASSERT_OK(index->Write(tracks, {}));

  auto brute = [&](size_t q) {
    std::vector<std::pair<double, std::string>> all;
    const auto& a = tracks[q].embedding;
    for (size_t j = 0; j < kN; ++j) {
      if (j == q) continue;
      const auto& b = tracks[j].embedding;
      double dot = 0, na = 0, nb = 0;
      for (size_t i = 0; i < kDim; ++i) {
        dot += static_cast<double>(a[i]) * b[i];
        na += static_cast<double>(a[i]) * a[i];
        nb += static_cast<double>(b[i]) * b[i];
      }
      all.emplace_back(-(dot / (std::sqrt(na) * std::sqrt(nb))),
                       tracks[j].track_id);
    }
    std::sort(all.begin(), all.end());
    all.resize(kK);
    return all;
  };

  ASSERT_OK_AND_ASSIGN(bool fresh, index->AnnIsFresh());
  EXPECT_FALSE(fresh);
  for (size_t q = 0; q < 50; ++q) {  // no ANN yet: the exact scan answers
    ASSERT_OK_AND_ASSIGN(auto hits, index->Similar(tracks[q].track_id, kK));
    auto want = brute(q);
    ASSERT_EQ(hits.size(), kK);
    for (size_t i = 0; i < kK; ++i) {
      ASSERT_EQ(hits[i].track_id, want[i].second)
          << "query " << q << " rank " << i;
      EXPECT_FLOAT_EQ(hits[i].score, static_cast<float>(-want[i].first));
    }
  }

  ASSERT_OK(index->BuildAnn());
  ASSERT_OK_AND_ASSIGN(fresh, index->AnnIsFresh());
  ASSERT_TRUE(fresh);
  size_t found = 0;
  for (size_t q = 0; q < kN; ++q) {
    ASSERT_OK_AND_ASSIGN(auto hits, index->Similar(tracks[q].track_id, kK));
    auto want = brute(q);
    std::set<std::string> truth;
    for (const auto& w : want) truth.insert(w.second);
    for (const Hit& h : hits) {
      EXPECT_NE(h.track_id, tracks[q].track_id);
      found += truth.count(h.track_id);
    }
  }
  double recall = static_cast<double>(found) / (kN * kK);
  EXPECT_GE(recall, 0.9) << "hnsw recall@10";

  // An unreadable graph file is not an error: the scan answers.
  {
    index.reset();
    std::filesystem::resize_file(dir.File("embeddings.hnsw"), 100);
    ASSERT_OK_AND_ASSIGN(index, EmotionIndex::Open(dir.path()));
    ASSERT_OK_AND_ASSIGN(auto hits, index->Similar(tracks[0].track_id, kK));
    auto want = brute(0);
    ASSERT_EQ(hits.size(), kK);
    for (size_t i = 0; i < kK; ++i) EXPECT_EQ(hits[i].track_id, want[i].second);
  }

  // A write makes the graph stale: answers are exact again.
  ASSERT_OK(index->Write({RandomTrack(rng, "late", kDim)}, {}));
  ASSERT_OK_AND_ASSIGN(fresh, index->AnnIsFresh());
  EXPECT_FALSE(fresh);
  tracks.push_back(RandomTrack(rng, "unused", kDim));  // keep brute's view
  ASSERT_OK_AND_ASSIGN(auto exact,
                           index->SimilarExact(tracks[0].embedding, 3));
  ASSERT_EQ(exact.size(), 3u);
  EXPECT_EQ(exact[0].track_id, tracks[0].track_id);  // itself, cosine 1
}

}  // namespace
}  // namespace mer::storage
