// query::Search: combined criteria, one page at a time (storage/query.h).
//
// The strongest criterion picks the candidate source and the order (an
// index scan that already yields candidates in that order); every other
// criterion filters. A page fetches k candidates after the cursor, filters
// them, and fetches 4k more when too few passed, until the page is full or
// the source is exhausted.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/query.h"

namespace mer::storage::query {
namespace {

// Sort key of a hit in `order`: (primary, track id), ascending.
double Primary(Order order, float score) {
  switch (order) {
    case Order::kDistance:
      return score;
    case Order::kId:
      return 0;
    default:
      return -static_cast<double>(score);  // higher scores first
  }
}

bool KeyLess(double p1, const std::string& id1, double p2,
             const std::string& id2) {
  return p1 != p2 ? p1 < p2 : id1 < id2;
}

// The cursor: the last result's sort key and how many results came before
// it, as hex of a small JSON object (opaque to callers, safe in URLs).
struct Cursor {
  Order order = Order::kId;
  double primary = 0;
  std::string id;
  size_t seen = 0;
};

std::string EncodeCursor(const Cursor& c) {
  const std::string text = nlohmann::json{{"o", static_cast<int>(c.order)},
                                          {"p", c.primary},
                                          {"i", c.id},
                                          {"n", c.seen}}
                               .dump();
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char ch : text) {
    out.push_back(kHex[ch >> 4]);
    out.push_back(kHex[ch & 15]);
  }
  return out;
}

core::Result<Cursor> DecodeCursor(const std::string& hex, Order order) {
  auto bad = [] {
    return core::Status::InvalidArgument("cursor",
                                         "not a cursor of this search");
  };
  if (hex.size() % 2 != 0) return bad();
  std::string text;
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nib = [](char ch) -> int {
      if (ch >= '0' && ch <= '9') return ch - '0';
      if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
      return -1;
    };
    const int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return bad();
    text.push_back(static_cast<char>(hi * 16 + lo));
  }
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("o") || !j["o"].is_number_integer() ||
      !j.contains("p") || !j["p"].is_number() || !j.contains("i") ||
      !j["i"].is_string() || !j.contains("n") ||
      !j["n"].is_number_unsigned() || j["o"].get<int>() != static_cast<int>(order)) {
    return bad();
  }
  return Cursor{order, j["p"].get<double>(), j["i"].get<std::string>(),
                j["n"].get<size_t>()};
}

bool Finite(float x) { return std::isfinite(x); }

std::string Format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[96];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

// The query vector of a similarity search (Rocchio with beta 0.5).
core::Result<std::vector<float>> QueryVector(const EmotionIndex& index,
                                             const SearchRequest& r) {
  auto embedding_of = [&](const std::string& id)
      -> core::Result<std::vector<float>> {
    MER_ASSIGN_OR_RETURN(auto t, index.GetTrack(id));
    if (!t) return core::Status::NotFound("track '" + id + "'", "not in the index");
    if (t->embedding.empty()) {
      return core::Status::NotFound("track '" + id + "'", "has no embedding");
    }
    return std::move(t->embedding);
  };
  std::vector<std::string> liked = r.like;
  if (!r.similar_to.empty()) liked.push_back(r.similar_to);
  std::vector<double> sum;
  auto add = [&](const std::vector<std::string>& ids,
                 double weight) -> core::Status {
    for (const auto& id : ids) {
      MER_ASSIGN_OR_RETURN(auto e, embedding_of(id));
      if (sum.empty()) sum.assign(e.size(), 0.0);
      if (e.size() != sum.size()) {
        return core::Status::Corruption("track '" + id + "'",
                                        "embedding of another dimension");
      }
      for (size_t i = 0; i < e.size(); ++i) sum[i] += weight * e[i];
    }
    return core::Status::Ok();
  };
  MER_RETURN_IF_ERROR(add(liked, liked.empty() ? 0.0 : 1.0 / liked.size()));
  const double beta = liked.empty() ? 1.0 : 0.5;
  MER_RETURN_IF_ERROR(
      add(r.unlike, r.unlike.empty() ? 0.0 : -beta / r.unlike.size()));
  double norm = 0;
  for (double x : sum) norm += x * x;
  norm = std::sqrt(norm);
  if (!(norm > 1e-9)) {
    return core::Status::InvalidArgument("like/unlike",
                                         "the liked and unliked tracks cancel out");
  }
  std::vector<float> q(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) q[i] = static_cast<float>(sum[i] / norm);
  return q;
}

// Candidates in `order`, at most k of them (`exhausted` when the source has
// no more). For Order::kId without a box the scan starts after `after_id`.
class Source {
 public:
  Source(const EmotionIndex& index, const SearchRequest& r, Order order)
      : index_(index), r_(r), order_(order) {}

  core::Status Init() {
    if (order_ == Order::kSimilarity) {
      MER_ASSIGN_OR_RETURN(query_, QueryVector(index_, r_));
    }
    return core::Status::Ok();
  }

  core::Result<std::vector<Hit>> Fetch(size_t k, const std::string& after_id,
                                       bool* exhausted) const {
    std::vector<Hit> hits;
    switch (order_) {
      case Order::kSimilarity: {
        MER_ASSIGN_OR_RETURN(hits, index_.SimilarTo(query_, k));
        break;
      }
      case Order::kDistance: {
        MER_ASSIGN_OR_RETURN(
            hits, index_.NearestVa(r_.near->valence, r_.near->arousal, k));
        break;
      }
      case Order::kTag: {
        MER_ASSIGN_OR_RETURN(hits, index_.TopByTag(r_.tags.front(), k));
        break;
      }
      case Order::kConfidence: {
        if (r_.mood) {
          MER_ASSIGN_OR_RETURN(hits,
                               index_.TopByMood(*r_.mood, k, r_.min_confidence));
          break;
        }
        // Every mood: merge the four confidence-ordered scans.
        bool all_short = true;
        for (int q = 0; q < 4; ++q) {
          MER_ASSIGN_OR_RETURN(
              auto part, index_.TopByMood(static_cast<core::Quadrant>(q), k,
                                          r_.min_confidence));
          all_short = all_short && part.size() < k;
          hits.insert(hits.end(), part.begin(), part.end());
        }
        Sort(&hits);
        if (hits.size() > k) hits.resize(k);
        *exhausted = all_short;
        return hits;
      }
      case Order::kId: {
        if (r_.box) {
          MER_ASSIGN_OR_RETURN(
              hits, index_.Box(r_.box->v0, r_.box->v1, r_.box->a0, r_.box->a1));
          *exhausted = true;
          return hits;
        }
        std::vector<std::string> ids;
        MER_RETURN_IF_ERROR(index_.ForEachTrackId(
            [&](std::string_view id) {
              ids.emplace_back(id);
              return ids.size() < k;
            },
            after_id));
        for (const auto& id : ids) {
          MER_ASSIGN_OR_RETURN(auto t, index_.GetTrack(id));
          if (!t) continue;  // removed between the two reads
          hits.push_back(Hit{t->track_id, t->valence, t->arousal,
                             t->confidence(), t->quadrant(), t->confidence()});
        }
        *exhausted = ids.size() < k;
        return hits;
      }
    }
    *exhausted = hits.size() < k;
    Sort(&hits);  // ANN answers are not exactly ordered; ties by id
    return hits;
  }

  void Sort(std::vector<Hit>* hits) const {
    std::sort(hits->begin(), hits->end(), [&](const Hit& x, const Hit& y) {
      return KeyLess(Primary(order_, x.score), x.track_id,
                     Primary(order_, y.score), y.track_id);
    });
  }

 private:
  const EmotionIndex& index_;
  const SearchRequest& r_;
  Order order_;
  std::vector<float> query_;
};

// Criteria every result must meet (those not already met by the source).
class Filter {
 public:
  Filter(const EmotionIndex& index, const SearchRequest& r)
      : index_(index), r_(r) {
    excluded_.insert(r.like.begin(), r.like.end());
    excluded_.insert(r.unlike.begin(), r.unlike.end());
    if (!r.similar_to.empty()) excluded_.insert(r.similar_to);
  }

  core::Result<bool> Passes(const Hit& h) const {
    if (r_.mood && h.quadrant != *r_.mood) return false;
    if (h.confidence < r_.min_confidence) return false;
    if (r_.box && !r_.box->Contains(h.valence, h.arousal)) return false;
    if (excluded_.count(h.track_id)) return false;
    if (r_.tags.empty() && !r_.min_seconds && !r_.max_seconds) return true;
    MER_ASSIGN_OR_RETURN(auto t, index_.GetTrack(h.track_id));
    if (!t) return false;
    if (r_.min_seconds && t->duration_seconds < *r_.min_seconds) return false;
    if (r_.max_seconds && t->duration_seconds > *r_.max_seconds) return false;
    for (const auto& tag : r_.tags) {
      if (std::none_of(t->tags.begin(), t->tags.end(),
                       [&](const auto& p) { return p.first == tag; })) {
        return false;
      }
    }
    return true;
  }

 private:
  const EmotionIndex& index_;
  const SearchRequest& r_;
  std::set<std::string> excluded_;
};

std::string Why(const SearchRequest& r, Order order, const Hit& h,
                size_t rank) {
  std::string why = "#" + std::to_string(rank) + " ";
  switch (order) {
    case Order::kSimilarity:
      why += Format("cosine %.3f", h.score) +
             (r.like.empty() && r.unlike.empty()
                  ? " to " + r.similar_to
                  : std::string(" to the liked tracks"));
      break;
    case Order::kDistance:
      why += Format("distance %.3f from (%.2f, %.2f)", h.score,
                    r.near->valence, r.near->arousal);
      break;
    case Order::kTag:
      why += "tag '" + r.tags.front() + Format("' %.3f", h.score);
      break;
    case Order::kConfidence:
    case Order::kId:
      why += std::string(core::QuadrantName(h.quadrant)) +
             Format(", confidence %.3f", h.confidence) +
             (r.box ? " in the box" : "");
      break;
  }
  return why;
}

}  // namespace

const char* OrderName(Order order) {
  switch (order) {
    case Order::kSimilarity:
      return "similarity";
    case Order::kDistance:
      return "distance";
    case Order::kTag:
      return "tag";
    case Order::kConfidence:
      return "confidence";
    case Order::kId:
      return "id";
  }
  return "id";
}

Order SearchRequest::order() const {
  if (!similar_to.empty() || !like.empty() || !unlike.empty()) {
    return Order::kSimilarity;
  }
  if (near) return Order::kDistance;
  if (!tags.empty()) return Order::kTag;
  if (mood || min_confidence > 0) return Order::kConfidence;
  return Order::kId;
}

core::Status SearchRequest::Validate() const {
  auto bad = [](const std::string& what, const std::string& why) {
    return core::Status::InvalidArgument(what, why);
  };
  if (!(min_confidence >= 0 && min_confidence <= 1)) {
    return bad("min_confidence", "must be in [0, 1]");
  }
  if (box) {
    if (!Finite(box->v0) || !Finite(box->v1) || !Finite(box->a0) ||
        !Finite(box->a1)) {
      return bad("box", "bounds must be finite numbers");
    }
    if (box->v0 > box->v1 || box->a0 > box->a1) {
      return bad("box", "each range must be [low, high] with low <= high");
    }
  }
  if (near && (!Finite(near->valence) || !Finite(near->arousal))) {
    return bad("near", "valence and arousal must be finite numbers");
  }
  for (const auto& t : tags) {
    if (t.empty()) return bad("tags", "a tag is empty");
  }
  for (const auto* d : {&min_seconds, &max_seconds}) {
    if (*d && !(std::isfinite(**d) && **d >= 0)) {
      return bad("duration", "seconds must be finite and >= 0");
    }
  }
  if (min_seconds && max_seconds && *min_seconds > *max_seconds) {
    return bad("duration", "the range must be [min, max] with min <= max");
  }
  return core::Status::Ok();
}

core::Result<SearchPage> Search(const EmotionIndex& index,
                                const SearchRequest& r) {
  MER_RETURN_IF_ERROR(r.Validate());
  const Order order = r.order();
  Cursor after;
  const bool has_cursor = !r.cursor.empty();
  if (has_cursor) {
    MER_ASSIGN_OR_RETURN(after, DecodeCursor(r.cursor, order));
  }

  Source source(index, r, order);
  MER_RETURN_IF_ERROR(source.Init());
  Filter filter(index, r);

  // One result more than the page shows tells whether a next page exists.
  size_t want = std::numeric_limits<size_t>::max();
  size_t k = 0;
  if (r.limit > 0) {
    want = r.limit + 1;
    k = std::max<size_t>(2 * want, 32);
  } else {
    MER_ASSIGN_OR_RETURN(IndexStats stats, index.Stats());
    k = stats.tracks + 16;
  }
  SearchPage page;
  page.order = order;
  std::vector<Hit> kept;
  for (;;) {
    bool exhausted = false;
    MER_ASSIGN_OR_RETURN(
        std::vector<Hit> hits,
        source.Fetch(k, has_cursor ? after.id : std::string(), &exhausted));
    kept.clear();
    for (const Hit& h : hits) {
      if (has_cursor && !KeyLess(after.primary, after.id,
                                 Primary(order, h.score), h.track_id)) {
        continue;  // at or before the cursor
      }
      MER_ASSIGN_OR_RETURN(bool ok, filter.Passes(h));
      if (!ok) continue;
      kept.push_back(h);
      if (kept.size() == want) break;
    }
    if (kept.size() == want || exhausted) break;
    k *= 4;
  }
  const size_t seen = has_cursor ? after.seen : 0;
  const bool more = r.limit > 0 && kept.size() > r.limit;
  if (more) kept.resize(r.limit);
  for (size_t i = 0; i < kept.size(); ++i) {
    page.results.push_back({kept[i], Why(r, order, kept[i], seen + i + 1)});
  }
  if (more) {
    const Hit& last = kept.back();
    page.next = EncodeCursor(Cursor{order, Primary(order, last.score),
                                    last.track_id, seen + kept.size()});
  }
  return page;
}

}  // namespace mer::storage::query
