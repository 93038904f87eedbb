// EmotionIndex queries: top-k by mood, V-A box, exact k nearest in V-A,
// by tag, and similar tracks by embedding.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <queue>

#include "storage/emotion_index.h"
#include "storage/emotion_index_rep.h"
#include "storage/index_keys.h"
#include "storage/record_codec.h"

namespace mer::storage {
namespace {

using Hit = EmotionIndex::Hit;

Hit MakeHit(std::string_view id, const keys::HitValue& v, float score) {
  return Hit{std::string(id), v.valence,  v.arousal,
             v.confidence,    v.quadrant, score};
}

core::Status BadValue(const EmotionIndex::Rep& rep, Cf c,
                      const rocksdb::Slice& key) {
  return core::Status::Corruption(
      "index " + rep.dir, std::string("unreadable entry in ") + kCfNames[c] +
                              " (" + std::to_string(key.size()) + "-byte key)");
}

// Calls fn(track id, hit value) for every by_va entry whose stored V and A
// lie in [v0, v1] x [a0, a1]. Walks the Z-order range of the quantised box
// (widened by one grid step) and jumps over the parts of it outside the box
// with BIGMIN, so a small box reads little more than its own entries.
template <typename Fn>
core::Status ScanBox(const EmotionIndex::Rep& rep, double v0, double v1,
                     double a0, double a1, Fn&& fn) {
  auto widen = [](double x, int step) {
    int q = static_cast<int>(keys::Quantise(x)) + step;
    return static_cast<uint16_t>(std::clamp<int>(q, 0, keys::kQuantMax));
  };
  const uint16_t qv0 = widen(v0, -1), qv1 = widen(v1, +1);
  const uint16_t qa0 = widen(a0, -1), qa1 = widen(a1, +1);
  const uint32_t zmin = keys::Morton(qv0, qa0), zmax = keys::Morton(qv1, qa1);
  auto it = rep.NewIterator(kCfByVa, zmax == UINT32_MAX
                                         ? std::string()
                                         : keys::VaKeyFromMorton(zmax + 1));
  it->Seek(keys::VaKeyFromMorton(zmin));
  while (it->Valid()) {
    auto parts = keys::ParseVaKey(it->key().ToStringView());
    if (!parts) return BadValue(rep, kCfByVa, it->key());
    uint16_t x, y;
    keys::DecodeMorton(parts->z, &x, &y);
    if (x < qv0 || x > qv1 || y < qa0 || y > qa1) {
      if (parts->z >= zmax) break;
      it->Seek(keys::VaKeyFromMorton(keys::BigMin(parts->z, zmin, zmax)));
      continue;
    }
    auto hit = keys::DecodeHitValue(it->value().ToStringView());
    if (!hit) return BadValue(rep, kCfByVa, it->key());
    if (hit->valence >= v0 && hit->valence <= v1 && hit->arousal >= a0 &&
        hit->arousal <= a1) {
      fn(parts->track_id, *hit);
    }
    it->Next();
  }
  return FromRocks(it->status(), "V-A scan of " + rep.dir);
}

double Distance(float v, float a, const keys::HitValue& h) {
  double dv = static_cast<double>(h.valence) - v;
  double da = static_cast<double>(h.arousal) - a;
  return std::sqrt(dv * dv + da * da);
}

struct Near {
  double dist;
  std::string id;
  keys::HitValue value;
  bool operator<(const Near& o) const {
    return dist != o.dist ? dist < o.dist : id < o.id;
  }
};

bool Finite(std::initializer_list<float> xs) {
  return std::all_of(xs.begin(), xs.end(),
                     [](float x) { return std::isfinite(x); });
}

}  // namespace

core::Result<std::vector<Hit>> EmotionIndex::TopByMood(
    core::Quadrant q, size_t limit, float min_confidence) const {
  std::vector<Hit> out;
  if (limit == 0) return out;
  const std::string prefix = keys::QuadrantPrefix(q);
  auto it = rep_->NewIterator(
      kCfByQuadrant, keys::QuadrantPrefix(
                         static_cast<core::Quadrant>(static_cast<int>(q) + 1)));
  for (it->Seek(prefix); it->Valid() && out.size() < limit; it->Next()) {
    auto parts = keys::ParseQuadrantKey(it->key().ToStringView());
    auto hit = keys::DecodeHitValue(it->value().ToStringView());
    if (!parts || !hit) return BadValue(*rep_, kCfByQuadrant, it->key());
    if (parts->confidence < min_confidence) break;  // descending from here
    out.push_back(MakeHit(parts->track_id, *hit, parts->confidence));
  }
  MER_RETURN_IF_ERROR(FromRocks(it->status(), "mood scan of " + rep_->dir));
  return out;
}

core::Result<std::vector<Hit>> EmotionIndex::TopByTag(const std::string& tag,
                                                      size_t limit) const {
  std::vector<Hit> out;
  if (tag.empty() || tag.find('\0') != std::string::npos) {
    return core::Status::InvalidArgument("tag '" + tag + "'",
                                         "empty or holds a NUL byte");
  }
  if (limit == 0) return out;
  const std::string prefix = keys::TagPrefix(tag);
  std::string bound = tag;
  bound.push_back('\1');  // the first key after every "tag\0..." key
  auto it = rep_->NewIterator(kCfByTag, bound);
  for (it->Seek(prefix); it->Valid() && out.size() < limit; it->Next()) {
    auto parts = keys::ParseTagKey(it->key().ToStringView());
    auto hit = keys::DecodeHitValue(it->value().ToStringView());
    if (!parts || !hit) return BadValue(*rep_, kCfByTag, it->key());
    out.push_back(MakeHit(parts->track_id, *hit, parts->score));
  }
  MER_RETURN_IF_ERROR(FromRocks(it->status(), "tag scan of " + rep_->dir));
  return out;
}

core::Result<std::vector<Hit>> EmotionIndex::Box(float v0, float v1, float a0,
                                                 float a1) const {
  if (!Finite({v0, v1, a0, a1})) {
    return core::Status::InvalidArgument("V-A box", "bounds must be finite");
  }
  std::vector<Hit> out;
  if (v0 > v1 || a0 > a1) return out;
  MER_RETURN_IF_ERROR(ScanBox(
      *rep_, v0, v1, a0, a1, [&](std::string_view id, const keys::HitValue& h) {
        out.push_back(MakeHit(id, h, h.confidence));
      }));
  std::sort(out.begin(), out.end(),
            [](const Hit& x, const Hit& y) { return x.track_id < y.track_id; });
  return out;
}

core::Result<std::vector<Hit>> EmotionIndex::NearestVa(float v, float a,
                                                       size_t k) const {
  if (!Finite({v, a})) {
    return core::Status::InvalidArgument("V-A point", "must be finite");
  }
  std::vector<Hit> out;
  MER_ASSIGN_OR_RETURN(proto::IndexCounters counters, rep_->ReadCounters());
  if (k == 0 || counters.tracks() == 0) return out;

  // Grow a square around (v, a) until it holds k tracks and the k-th
  // distance is within its half-width h: every track outside the square is
  // then farther than h, so the k found are exactly the k nearest. The scan
  // bound is h plus a hair so that rounding in v - h cannot drop a track at
  // distance exactly h. Once the square covers [-1, 1]^2, scan everything
  // (this also catches tracks stored outside [-1, 1]).
  double h = std::max(1.5 * std::sqrt(static_cast<double>(k) /
                                      static_cast<double>(counters.tracks())),
                      4.0 / keys::kQuantMax);
  std::vector<Near> found;
  for (;;) {
    const double hb = h * (1 + 1e-9) + 1e-12;
    const bool everything =
        v - hb <= -1 && v + hb >= 1 && a - hb <= -1 && a + hb >= 1;
    found.clear();
    auto collect = [&](std::string_view id, const keys::HitValue& value) {
      found.push_back(Near{Distance(v, a, value), std::string(id), value});
    };
    if (everything) {
      auto it = rep_->NewIterator(kCfByVa);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto parts = keys::ParseVaKey(it->key().ToStringView());
        auto value = keys::DecodeHitValue(it->value().ToStringView());
        if (!parts || !value) return BadValue(*rep_, kCfByVa, it->key());
        collect(parts->track_id, *value);
      }
      MER_RETURN_IF_ERROR(FromRocks(it->status(), "V-A scan of " + rep_->dir));
    } else {
      MER_RETURN_IF_ERROR(
          ScanBox(*rep_, v - hb, v + hb, a - hb, a + hb, collect));
    }
    const size_t n = std::min(k, found.size());
    std::partial_sort(found.begin(), found.begin() + n, found.end());
    if (everything || (found.size() >= k && found[k - 1].dist <= h)) {
      found.resize(n);
      break;
    }
    // Enough tracks but the k-th too far: a square of half-width d_k holds
    // all k, so the next round ends. Too few: double.
    h = found.size() >= k ? std::max(found[k - 1].dist, h * 1.01) : h * 2;
  }
  out.reserve(found.size());
  for (const Near& n : found) {
    out.push_back(MakeHit(n.id, n.value, static_cast<float>(n.dist)));
  }
  return out;
}

}  // namespace mer::storage
