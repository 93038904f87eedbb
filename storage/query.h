// The query layer (DESIGN.md §6a): every kind of emotion query over an
// EmotionIndex, shared by `mer query` and `mer serve` (whose handlers only
// parse and format).
//
//   Search    any combination of mood, confidence, V-A box, nearest to a V-A
//             point, similar to a track or to liked/unliked tracks, tags and
//             a duration range, one page at a time with a keyset cursor;
//   Arc       a playlist whose path through the V-A plane follows waypoints,
//             joining each track's last segment to the next one's first;
//   Themes    k-means sub-clusters of one quadrant's embeddings, computed at
//             the end of `mer index` and stored in the index's meta.
//
//   query::SearchRequest r;
//   r.mood = core::Quadrant::kCalm;
//   r.box = query::VaBox{-1, 0, -1, 1};
//   MER_ASSIGN_OR_RETURN(query::SearchPage page, query::Search(*index, r));
//   r.cursor = page.next;   // the following page; empty when none
//
// Thread-safety: free functions over a const index; safe to call from any
// number of threads (see EmotionIndex). StoreThemes writes (one thread).
#ifndef MER_STORAGE_QUERY_H_
#define MER_STORAGE_QUERY_H_

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/core/emotion.h"
#include "common/core/result.h"
#include "storage/emotion_index.h"

namespace mer::storage::query {

using Hit = EmotionIndex::Hit;

// Inclusive bounds in the V-A plane.
struct VaBox {
  float v0 = -1, v1 = 1, a0 = -1, a1 = 1;
  bool Contains(float v, float a) const {
    return v >= v0 && v <= v1 && a >= a0 && a <= a1;
  }
};

struct VaPoint {
  float valence = 0, arousal = 0;
};

// The order of a search's results, fixed by its strongest criterion:
// similarity (similar_to / like / unlike) > distance (near) > tag score
// (tags) > confidence (mood, min_confidence) > track id (box or nothing).
enum class Order { kSimilarity, kDistance, kTag, kConfidence, kId };
const char* OrderName(Order order);

struct SearchRequest {
  std::optional<core::Quadrant> mood;
  float min_confidence = 0;  // in [0, 1]
  std::optional<VaBox> box;
  std::optional<VaPoint> near;
  std::string similar_to;  // a track id: order by cosine to its embedding
  // Rocchio: order by cosine to mean(like) - 0.5 mean(unlike); the named
  // tracks themselves are left out of the results.
  std::vector<std::string> like, unlike;
  std::vector<std::string> tags;  // every one must be on the track
  std::optional<double> min_seconds, max_seconds;
  size_t limit = 20;   // results per page; 0: no limit (every match)
  std::string cursor;  // SearchPage::next of the previous page

  // InvalidArgument naming the first unusable field.
  core::Status Validate() const;
  Order order() const;
};

struct SearchHit {
  Hit hit;          // hit.score: what `order` sorts by
  std::string why;  // e.g. "distance 0.112 from (0.50, 0.50)"
};

struct SearchPage {
  std::vector<SearchHit> results;
  std::string next;  // cursor of the following page; empty: this is the last
  Order order = Order::kId;
};

// One page of the tracks matching every criterion of `request`, in
// request.order() with ties broken by track id. Pages of one request never
// repeat or skip a track while the index does not change (the cursor is the
// last result's sort key, not an offset). NotFound when similar_to / like /
// unlike name a track without an embedding; InvalidArgument for a bad
// request or a cursor of another order.
core::Result<SearchPage> Search(const EmotionIndex& index,
                                const SearchRequest& request);

// ---- playlists along an arc through the V-A plane ----

struct ArcRequest {
  // At least two points; the playlist's path follows them in order.
  std::vector<VaPoint> waypoints;
  // Track ids pinned as the first / last track (optional).
  std::string first_track, last_track;
  size_t count = 0;    // tracks in the playlist, or
  double minutes = 0;  // total length, when count is 0
  // Weight of the transition term (last segment of a track to the first
  // of the next) against the distance to the path. Default: 0.5
  float smoothness = 0.5f;

  core::Status Validate() const;
};

struct ArcTrack {
  Hit hit;  // hit.score: distance of the track's mean to its path point
  std::string path;
  double duration_seconds = 0;
  VaPoint start, end;  // first and last timeline segment (mean when none)
  VaPoint target;      // the path point it was chosen for
};

// An ordered playlist, no track twice: path points spaced evenly along the
// waypoint polyline; for each, among the nearest tracks in V-A, the one
// minimising |mean - point| + smoothness * |its first segment - previous
// track's last segment|. Fewer tracks than asked when the index has fewer.
core::Result<std::vector<ArcTrack>> Arc(const EmotionIndex& index,
                                        const ArcRequest& request);

// The V-A point a mood stands for in an arc (its quadrant's centre,
// (+-0.5, +-0.5)).
VaPoint MoodCentre(core::Quadrant q);

// ---- themes: sub-clusters within one quadrant ----

struct Theme {
  int id = 0;
  size_t size = 0;  // tracks of the quadrant nearest this centre
  float valence = 0, arousal = 0;   // means over those tracks
  std::vector<std::string> tracks;  // the most typical first (<= 10)
};

struct ThemeSet {
  int k = 0;                     // asked for (0: chosen per quadrant)
  uint64_t tracks = 0;           // index track count they were computed on
  std::array<std::vector<Theme>, 4> per_quadrant;  // by Quadrant value
};

// Spherical k-means (k-means++ seeding, fixed seed) on the embeddings of
// each quadrant's tracks (fit on at most 20 000 per quadrant, then every
// track assigned, so the sizes add up to the quadrant's count). k = 0
// chooses round(sqrt(n / 2)) clamped to [1, 8]; never more than n.
core::Result<ThemeSet> ComputeThemes(const EmotionIndex& index, int k = 0);
// Only `quadrant`'s themes (an on-demand k).
core::Result<std::vector<Theme>> ComputeQuadrantThemes(
    const EmotionIndex& index, core::Quadrant quadrant, int k);
// Meta entry "themes" (JSON). Load: nullopt when none was stored.
core::Status StoreThemes(EmotionIndex& index, const ThemeSet& themes);
core::Result<std::optional<ThemeSet>> LoadThemes(const EmotionIndex& index);

}  // namespace mer::storage::query

#endif  // MER_STORAGE_QUERY_H_
