// query::Arc: playlists whose path through the V-A plane follows waypoints
// (storage/query.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "storage/query.h"

namespace mer::storage::query {
namespace {

constexpr size_t kMaxArcTracks = 1000;
constexpr size_t kSpareCandidates = 24;  // nearest tracks beyond those used

double Dist(VaPoint x, VaPoint y) {
  return std::hypot(static_cast<double>(x.valence) - y.valence,
                    static_cast<double>(x.arousal) - y.arousal);
}

// `n` points spaced evenly by length along the polyline (n >= 2: both ends).
std::vector<VaPoint> PathPoints(const std::vector<VaPoint>& way, size_t n) {
  std::vector<double> cum(1, 0.0);
  for (size_t i = 1; i < way.size(); ++i) {
    cum.push_back(cum.back() + Dist(way[i - 1], way[i]));
  }
  const double total = cum.back();
  std::vector<VaPoint> out;
  for (size_t i = 0; i < n; ++i) {
    const double t = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    if (total <= 0) {  // every waypoint the same: a point, or go by index
      out.push_back(way[std::min(way.size() - 1,
                                 static_cast<size_t>(t * (way.size() - 1)))]);
      continue;
    }
    const double s = t * total;
    size_t seg = 1;
    while (seg + 1 < way.size() && cum[seg] < s) ++seg;
    const double len = cum[seg] - cum[seg - 1];
    const double f = len > 0 ? std::clamp((s - cum[seg - 1]) / len, 0.0, 1.0)
                             : 0.0;
    out.push_back({static_cast<float>(way[seg - 1].valence +
                                      f * (way[seg].valence - way[seg - 1].valence)),
                   static_cast<float>(way[seg - 1].arousal +
                                      f * (way[seg].arousal - way[seg - 1].arousal))});
  }
  return out;
}

// A candidate's record as the arc needs it.
struct Entry {
  Hit hit;
  std::string path;
  double duration = 0;
  VaPoint mean, start, end;
};

class Records {
 public:
  explicit Records(const EmotionIndex& index) : index_(index) {}
  core::Result<const Entry*> Get(const std::string& id) {
    auto found = cache_.find(id);
    if (found != cache_.end()) return &found->second;
    MER_ASSIGN_OR_RETURN(auto t, index_.GetTrack(id));
    if (!t) return core::Status::NotFound("track '" + id + "'", "not in the index");
    Entry e;
    e.hit = Hit{t->track_id, t->valence, t->arousal, t->confidence(),
                t->quadrant(), 0};
    e.path = t->path;
    e.duration = t->duration_seconds;
    e.mean = {t->valence, t->arousal};
    e.start = t->timeline.empty()
                  ? e.mean
                  : VaPoint{t->timeline.front().valence, t->timeline.front().arousal};
    e.end = t->timeline.empty()
                ? e.mean
                : VaPoint{t->timeline.back().valence, t->timeline.back().arousal};
    return &cache_.emplace(id, std::move(e)).first->second;
  }

 private:
  const EmotionIndex& index_;
  std::map<std::string, Entry> cache_;
};

ArcTrack MakeTrack(const Entry& e, VaPoint target) {
  ArcTrack t;
  t.hit = e.hit;
  t.hit.score = static_cast<float>(Dist(e.mean, target));
  t.path = e.path;
  t.duration_seconds = e.duration;
  t.start = e.start;
  t.end = e.end;
  t.target = target;
  return t;
}

}  // namespace

VaPoint MoodCentre(core::Quadrant q) {
  switch (q) {
    case core::Quadrant::kHappy:
      return {0.5f, 0.5f};
    case core::Quadrant::kTense:
      return {-0.5f, 0.5f};
    case core::Quadrant::kSad:
      return {-0.5f, -0.5f};
    case core::Quadrant::kCalm:
      return {0.5f, -0.5f};
  }
  return {};
}

core::Status ArcRequest::Validate() const {
  auto bad = [](const std::string& what, const std::string& why) {
    return core::Status::InvalidArgument(what, why);
  };
  if (waypoints.size() < 2) {
    return bad("waypoints", "give at least two points (or from and to)");
  }
  for (const auto& p : waypoints) {
    if (!std::isfinite(p.valence) || !std::isfinite(p.arousal)) {
      return bad("waypoints", "valence and arousal must be finite numbers");
    }
  }
  if (count == 0 && !(minutes > 0)) {
    return bad("count", "give a track count or minutes > 0");
  }
  if (count > kMaxArcTracks) {
    return bad("count", "at most " + std::to_string(kMaxArcTracks) + " tracks");
  }
  if (!(std::isfinite(minutes) && minutes >= 0 && minutes <= 24 * 60)) {
    return bad("minutes", "must be in [0, 1440]");
  }
  if (!(std::isfinite(smoothness) && smoothness >= 0)) {
    return bad("smoothness", "must be finite and >= 0");
  }
  return core::Status::Ok();
}

core::Result<std::vector<ArcTrack>> Arc(const EmotionIndex& index,
                                        const ArcRequest& r) {
  MER_RETURN_IF_ERROR(r.Validate());
  MER_ASSIGN_OR_RETURN(IndexStats stats, index.Stats());
  std::vector<ArcTrack> out;
  if (stats.tracks == 0) return out;
  size_t n = r.count;
  if (n == 0) {  // from minutes and the catalogue's mean track length
    const double mean_s = std::max(1.0, stats.audio_hours * 3600.0 / stats.tracks);
    n = static_cast<size_t>(std::ceil(r.minutes * 60.0 / mean_s));
  }
  n = std::clamp<size_t>(n, 1, std::min<size_t>(kMaxArcTracks, stats.tracks));
  const std::vector<VaPoint> targets = PathPoints(r.waypoints, std::max<size_t>(n, 2));

  Records records(index);
  std::set<std::string> used;
  const Entry* prev = nullptr;
  for (size_t i = 0; i < n; ++i) {
    const VaPoint target = n == 1 ? targets.front() : targets[i];
    const std::string& pinned =
        i == 0 ? r.first_track : (i + 1 == n ? r.last_track : std::string());
    const Entry* best = nullptr;
    if (!pinned.empty()) {
      MER_ASSIGN_OR_RETURN(best, records.Get(pinned));
      if (used.count(pinned)) best = nullptr;  // first == last, one track
    } else {
      const size_t k = std::min<size_t>(stats.tracks, used.size() + kSpareCandidates +
                                                          (r.last_track.empty() ? 0 : 1));
      MER_ASSIGN_OR_RETURN(auto near,
                           index.NearestVa(target.valence, target.arousal, k));
      double best_cost = 0;
      for (const Hit& h : near) {
        if (used.count(h.track_id) || h.track_id == r.last_track) continue;
        MER_ASSIGN_OR_RETURN(const Entry* e, records.Get(h.track_id));
        double cost = Dist(e->mean, target);
        if (prev) cost += r.smoothness * Dist(prev->end, e->start);
        if (!best || cost < best_cost) {
          best = e;
          best_cost = cost;
        }
      }
    }
    if (!best) continue;  // nothing left near this point
    used.insert(best->hit.track_id);
    out.push_back(MakeTrack(*best, target));
    prev = best;
  }
  return out;
}

}  // namespace mer::storage::query
