// The query layer (storage/query.h) on a real RocksDB index of random
// records: every answer is checked against a brute-force reading of the
// same records.
#include "storage/query.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "storage/emotion_index.h"
#include "tests/unit/storage/index_test_util.h"
#include "tests/util/test_util.h"

namespace mer::storage::query {
namespace {

using storage::testing::RandomTrack;
using storage::testing::TempDir;

class QueryTest : public ::testing::Test {
 protected:
  static constexpr int kTracks = 400;

  void SetUp() override {
    auto idx = EmotionIndex::Open(tmp_.path());
    ASSERT_TRUE(idx.ok()) << idx.status().ToString();
    index_ = std::move(*idx);
    std::mt19937 rng(11);
    std::vector<TrackResult> tracks;
    for (int i = 0; i < kTracks; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "dir/t%04d.ogg", i);
      TrackResult t = RandomTrack(rng, id, 16);
      if (i % 3 == 0) t.tags.emplace_back("guitar", 0.1f + (i % 7) / 10.0f);
      if (i % 5 == 0) t.tags.emplace_back("piano", 0.5f);
      // Ties in confidence, to check the order's tie-break by id.
      if (i % 10 == 0) t.quadrant_probs = {0.4f, 0.2f, 0.2f, 0.2f};
      tracks.push_back(t);
      by_id_[t.track_id] = t;
    }
    ASSERT_TRUE(index_->Write(tracks, {}).ok());
  }

  // Every page of `r` until the end; fails the test on an error.
  std::vector<SearchHit> AllPages(SearchRequest r, size_t* pages = nullptr) {
    std::vector<SearchHit> all;
    size_t n = 0;
    for (;;) {
      auto page = Search(*index_, r);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(page->results.size(), r.limit);
      all.insert(all.end(), page->results.begin(), page->results.end());
      ++n;
      if (page->next.empty()) break;
      EXPECT_EQ(page->results.size(), r.limit) << "a short page before the last";
      r.cursor = page->next;
    }
    if (pages) *pages = n;
    return all;
  }

  std::vector<std::string> Ids(const std::vector<SearchHit>& hits) {
    std::vector<std::string> ids;
    for (const auto& h : hits) ids.push_back(h.hit.track_id);
    return ids;
  }

  TempDir tmp_;
  std::unique_ptr<EmotionIndex> index_;
  std::map<std::string, TrackResult> by_id_;
};

TEST_F(QueryTest, MoodAndBoxTogetherArePagedWithoutRepeatsOrGaps) {
  SearchRequest r;
  r.mood = core::Quadrant::kHappy;
  r.box = VaBox{-0.5f, 1.0f, -1.0f, 0.5f};
  r.min_confidence = 0.3f;
  r.limit = 7;
  size_t pages = 0;
  const auto hits = AllPages(r, &pages);
  // Brute force: every record meeting all three criteria.
  std::set<std::string> want;
  for (const auto& [id, t] : by_id_) {
    if (t.quadrant() == core::Quadrant::kHappy && t.confidence() >= 0.3f &&
        r.box->Contains(t.valence, t.arousal)) {
      want.insert(id);
    }
  }
  ASSERT_GT(want.size(), 2 * r.limit) << "the data should need several pages";
  EXPECT_GT(pages, 2u);
  const auto ids = Ids(hits);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size())
      << "a track came twice";
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), want);
  // By confidence descending, ties by id; "why" carries the rank.
  for (size_t i = 1; i < hits.size(); ++i) {
    const auto& a = hits[i - 1].hit;
    const auto& b = hits[i].hit;
    EXPECT_TRUE(a.confidence > b.confidence ||
                (a.confidence == b.confidence && a.track_id < b.track_id))
        << i;
  }
  EXPECT_EQ(hits[8].why.rfind("#9 happy", 0), 0u) << hits[8].why;
}

TEST_F(QueryTest, NearIsSortedByDistanceAndFiltersByMood) {
  SearchRequest r;
  r.near = VaPoint{0.3f, -0.2f};
  r.mood = core::Quadrant::kSad;
  r.limit = 15;
  auto page = Search(*index_, r);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->order, Order::kDistance);
  ASSERT_EQ(page->results.size(), 15u);
  // The 15 nearest sad tracks, by brute force.
  std::vector<std::pair<double, std::string>> sad;
  for (const auto& [id, t] : by_id_) {
    if (t.quadrant() == core::Quadrant::kSad) {
      sad.emplace_back(std::hypot(t.valence - 0.3, t.arousal + 0.2), id);
    }
  }
  std::sort(sad.begin(), sad.end());
  for (size_t i = 0; i < 15; ++i) {
    EXPECT_EQ(page->results[i].hit.track_id, sad[i].second) << i;
    EXPECT_NEAR(page->results[i].hit.score, sad[i].first, 1e-5);
  }
  EXPECT_NE(page->results[0].why.find("distance"), std::string::npos);
}

TEST_F(QueryTest, SimilarLikeAndUnlikeOrderByCosineAndLeaveTheNamedOut) {
  const std::string seed = "dir/t0007.ogg", other = "dir/t0100.ogg";
  SearchRequest r;
  r.similar_to = seed;
  r.limit = 10;
  auto page = Search(*index_, r);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->results.size(), 10u);
  auto cosine = [&](const std::string& a, const std::vector<float>& q) {
    const auto& e = by_id_[a].embedding;
    double s = 0;
    for (size_t i = 0; i < e.size(); ++i) s += e[i] * q[i];
    return s;
  };
  std::vector<std::pair<double, std::string>> all;
  for (const auto& [id, t] : by_id_) {
    if (id != seed) all.emplace_back(-cosine(id, by_id_[seed].embedding), id);
  }
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(page->results[i].hit.track_id, all[i].second) << i;
  }
  // like + unlike: Rocchio, the named tracks never returned.
  r = SearchRequest{};
  r.like = {seed};
  r.unlike = {other};
  r.limit = 0;  // every track
  auto every = Search(*index_, r);
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(every->results.size(), static_cast<size_t>(kTracks - 2));
  for (const auto& h : every->results) {
    EXPECT_NE(h.hit.track_id, seed);
    EXPECT_NE(h.hit.track_id, other);
  }
  for (size_t i = 1; i < every->results.size(); ++i) {
    EXPECT_GE(every->results[i - 1].hit.score, every->results[i].hit.score);
  }
  // The best of like-seed-unlike-other leans away from `other`.
  const auto& best = every->results.front().hit.track_id;
  EXPECT_GT(cosine(best, by_id_[seed].embedding), cosine(best, by_id_[other].embedding));
  // Unknown ids are NotFound.
  r = SearchRequest{};
  r.similar_to = "no/such.ogg";
  EXPECT_EQ(Search(*index_, r).status().code(), core::Status::Code::kNotFound);
}

TEST_F(QueryTest, TagsAndDurationFilterEveryResult) {
  SearchRequest r;
  r.tags = {"guitar", "piano"};
  r.min_seconds = 100;
  r.limit = 4;
  const auto hits = AllPages(r);
  std::set<std::string> want;
  for (const auto& [id, t] : by_id_) {
    int n = 0;
    for (const auto& [tag, s] : t.tags) n += tag == "guitar" || tag == "piano";
    if (n == 2 && t.duration_seconds >= 100) want.insert(id);
  }
  ASSERT_FALSE(want.empty());
  const auto ids = Ids(hits);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), want);
  EXPECT_EQ(ids.size(), want.size());
}

TEST_F(QueryTest, NoCriterionListsEveryTrackInIdOrderOverPages) {
  SearchRequest r;
  r.limit = 33;
  const auto ids = Ids(AllPages(r));
  std::vector<std::string> want;
  for (const auto& [id, t] : by_id_) want.push_back(id);
  EXPECT_EQ(ids, want);
}

TEST_F(QueryTest, BadRequestsAndForeignCursorsAreInvalidArgument) {
  SearchRequest r;
  r.box = VaBox{0.5f, -0.5f, -1, 1};
  EXPECT_EQ(Search(*index_, r).status().code(), core::Status::Code::kInvalidArgument);
  r = SearchRequest{};
  r.min_confidence = 1.5f;
  EXPECT_EQ(Search(*index_, r).status().code(), core::Status::Code::kInvalidArgument);
  // A cursor of a confidence search does not fit a distance search.
  r = SearchRequest{};
  r.mood = core::Quadrant::kCalm;
  r.limit = 2;
  auto page = Search(*index_, r);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next.empty());
  SearchRequest other;
  other.near = VaPoint{0, 0};
  other.cursor = page->next;
  EXPECT_EQ(Search(*index_, other).status().code(), core::Status::Code::kInvalidArgument);
  other.cursor = "zz";
  EXPECT_EQ(Search(*index_, other).status().code(), core::Status::Code::kInvalidArgument);
}

TEST_F(QueryTest, ArcMovesFromTheFirstWaypointToTheLastWithoutRepeats) {
  ArcRequest r;
  r.waypoints = {MoodCentre(core::Quadrant::kSad), {0, 0},
                 MoodCentre(core::Quadrant::kHappy)};
  r.count = 12;
  auto arc = Arc(*index_, r);
  ASSERT_TRUE(arc.ok()) << arc.status().ToString();
  ASSERT_EQ(arc->size(), 12u);
  std::set<std::string> seen;
  for (const auto& t : *arc) EXPECT_TRUE(seen.insert(t.hit.track_id).second);
  auto dist = [](const ArcTrack& t, VaPoint p) {
    return std::hypot(t.hit.valence - p.valence, t.hit.arousal - p.arousal);
  };
  const VaPoint from = r.waypoints.front(), to = r.waypoints.back();
  EXPECT_LT(dist(arc->front(), from), 0.3);
  EXPECT_LT(dist(arc->back(), to), 0.3);
  // Valence and arousal both rise along the path on the whole.
  EXPECT_LT(arc->front().hit.valence, arc->back().hit.valence);
  EXPECT_LT(arc->front().hit.arousal, arc->back().hit.arousal);
  // Every track lies near its own path point.
  for (const auto& t : *arc) EXPECT_LT(dist(t, t.target), 0.35) << t.hit.track_id;
  // Pinned ends stay where they are pinned.
  r.first_track = "dir/t0001.ogg";
  r.last_track = "dir/t0002.ogg";
  arc = Arc(*index_, r);
  ASSERT_TRUE(arc.ok());
  EXPECT_EQ(arc->front().hit.track_id, r.first_track);
  EXPECT_EQ(arc->back().hit.track_id, r.last_track);
  // From minutes: about that much music.
  ArcRequest m;
  m.waypoints = {{-1, 1}, {1, -1}};
  m.minutes = 60;
  arc = Arc(*index_, m);
  ASSERT_TRUE(arc.ok());
  double total = 0;
  for (const auto& t : *arc) total += t.duration_seconds;
  EXPECT_GT(total, 30 * 60);
  EXPECT_LT(total, 120 * 60);
  m.waypoints.pop_back();
  EXPECT_EQ(Arc(*index_, m).status().code(), core::Status::Code::kInvalidArgument);
}

TEST_F(QueryTest, ThemesCoverEachQuadrantAndSurviveTheIndex) {
  auto themes = ComputeThemes(*index_, 3);
  ASSERT_TRUE(themes.ok()) << themes.status().ToString();
  std::array<size_t, 4> count{};
  for (const auto& [id, t] : by_id_) ++count[static_cast<int>(t.quadrant())];
  for (int q = 0; q < 4; ++q) {
    const auto& list = themes->per_quadrant[q];
    ASSERT_EQ(list.size(), 3u) << q;
    size_t sum = 0;
    for (const auto& th : list) {
      sum += th.size;
      EXPECT_FALSE(th.tracks.empty());
      for (const auto& id : th.tracks) {
        EXPECT_EQ(static_cast<int>(by_id_[id].quadrant()), q) << id;
      }
    }
    EXPECT_EQ(sum, count[q]) << "sizes must add up to the quadrant's tracks";
    EXPECT_GE(list[0].size, list[1].size);
  }
  ASSERT_TRUE(StoreThemes(*index_, *themes).ok());
  auto loaded = LoadThemes(*index_);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->k, 3);
  EXPECT_EQ((*loaded)->tracks, static_cast<uint64_t>(kTracks));
  EXPECT_EQ((*loaded)->per_quadrant[2][1].tracks, themes->per_quadrant[2][1].tracks);
  // One quadrant on demand equals that quadrant of the whole computation.
  auto calm = ComputeQuadrantThemes(*index_, core::Quadrant::kCalm, 3);
  ASSERT_TRUE(calm.ok());
  ASSERT_EQ(calm->size(), 3u);
  EXPECT_EQ((*calm)[0].tracks, themes->per_quadrant[3][0].tracks);
}

}  // namespace
}  // namespace mer::storage::query
