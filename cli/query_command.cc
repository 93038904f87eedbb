// mer query --index DIR (--stats | --track ID | --failures | --themes MOOD |
// --arc WAYPOINTS | search criteria): answers emotion queries from the index
// through the query layer (storage/query.h), as `mer serve` does. The index is opened read-only, so queries run while a job writes
// (they see what was on disk when the query started).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "storage/emotion_index.h"
#include "storage/query.h"
#include "storage/query_json.h"

namespace mer::cli {
namespace {

using storage::EmotionIndex;
namespace query = storage::query;

// "a,b,c" -> n floats; false on a malformed list.
bool ParseFloats(const std::string& text, size_t n, std::vector<float>* out) {
  out->clear();
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    try {
      size_t used = 0;
      out->push_back(std::stof(part, &used));
      if (used != part.size()) return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return out->size() == n;
}

std::string Fixed(double v, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void PrintHits(const std::vector<query::SearchHit>& hits, const char* score_name,
               bool json) {
  if (json) {
    for (const auto& h : hits) std::cout << query::SearchHitJson(h).dump() << "\n";
    return;
  }
  std::printf("%4s  %-6s %7s %7s %6s %10s  %s\n", "#", "mood", "valence",
              "arousal", "conf", score_name, "track");
  int i = 0;
  for (const auto& s : hits) {
    const auto& h = s.hit;
    std::printf("%4d  %-6s %7.3f %7.3f %6.3f %10.4f  %s\n", ++i,
                std::string(core::QuadrantName(h.quadrant)).c_str(), h.valence,
                h.arousal, h.confidence, h.score, h.track_id.c_str());
  }
  if (hits.empty()) std::printf("(no tracks)\n");
}

int PrintTrack(const storage::TrackResult& t, bool json) {
  if (json) {
    std::cout << query::TrackJson(t).dump() << "\n";
    return kExitOk;
  }
  std::cout << "track      " << t.track_id << "\npath       " << t.path
            << "\nduration   " << Fixed(t.duration_seconds, 1) << " s"
            << "\nmood       " << core::QuadrantName(t.quadrant())
            << " (confidence " << Fixed(t.confidence()) << ")"
            << "\nvalence    " << Fixed(t.valence) << "\narousal    "
            << Fixed(t.arousal) << "\nquadrants  happy "
            << Fixed(t.quadrant_probs[0]) << ", tense "
            << Fixed(t.quadrant_probs[1]) << ", sad "
            << Fixed(t.quadrant_probs[2]) << ", calm "
            << Fixed(t.quadrant_probs[3]) << "\nmodel      " << t.model_id
            << "\ntimeline   " << t.timeline.size() << " segments\n";
  // A segment's mood is the quadrant its V-A point lies in.
  std::printf("%10s %8s %8s  %s\n", "start (s)", "valence", "arousal", "mood");
  for (const auto& p : t.timeline) {
    std::printf(
        "%10.2f %8.3f %8.3f  %s\n", p.start_seconds, p.valence, p.arousal,
        std::string(core::QuadrantName(core::QuadrantOf(p.valence, p.arousal)))
            .c_str());
  }
  return kExitOk;
}

void PrintStats(const storage::IndexStats& s, bool json) {
  static const char* kNames[] = {"happy", "tense", "sad", "calm"};
  if (json) {
    std::cout << query::StatsJson(s).dump() << "\n";
    return;
  }
  std::cout << "tracks      " << s.tracks << "\n";
  for (int i = 0; i < 4; ++i) {
    const double pct = s.tracks ? 100.0 * s.per_quadrant[i] / s.tracks : 0;
    std::printf("  %-8s  %8llu  %5.1f%%\n", kNames[i],
                static_cast<unsigned long long>(s.per_quadrant[i]), pct);
  }
  std::cout << "failures    " << s.failures << "\naudio       "
            << Fixed(s.audio_hours, 2) << " h\nmodel       "
            << s.identity.model_id << "\nfront end   "
            << s.identity.front_end_digest << "\nembeddings  "
            << s.embedding_dim << "-d, similarity index "
            << (s.ann_fresh ? "fresh" : "missing or stale (exact scan)")
            << "\nschema      " << s.schema_version << "\n";
}

// "a,b,c" -> ids (empty parts dropped).
std::vector<std::string> SplitIds(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

int PrintThemes(const EmotionIndex& idx, core::Quadrant mood, int k,
                bool json) {
  std::vector<query::Theme> themes;
  auto stored = query::LoadThemes(idx);
  if (!stored.ok()) {
    PrintError("query", stored.status().message());
    return kExitFailure;
  }
  if (*stored && (k == 0 || (*stored)->k == k)) {
    themes = (**stored).per_quadrant[static_cast<int>(mood)];
  } else {
    auto fresh = query::ComputeQuadrantThemes(idx, mood, k);
    if (!fresh.ok()) {
      PrintError("query", fresh.status().message());
      return kExitFailure;
    }
    themes = std::move(*fresh);
  }
  for (const auto& t : themes) {
    if (json) {
      std::cout << query::ThemeJson(t).dump() << "\n";
      continue;
    }
    std::printf("theme %d: %zu tracks, valence %.3f, arousal %.3f\n", t.id,
                t.size, t.valence, t.arousal);
    for (const auto& id : t.tracks) std::printf("    %s\n", id.c_str());
  }
  if (!json && themes.empty()) std::printf("(no %s tracks)\n",
                                           std::string(core::QuadrantName(mood)).c_str());
  return kExitOk;
}

int PrintArc(const EmotionIndex& idx, const query::ArcRequest& r, bool json) {
  auto tracks = query::Arc(idx, r);
  if (!tracks.ok()) {
    PrintError("query", tracks.status().message());
    return kExitFailure;
  }
  if (!json) {
    std::printf("%4s  %-6s %7s %7s %8s  %s\n", "#", "mood", "valence", "arousal",
                "length", "track");
  }
  int i = 0;
  for (const auto& t : *tracks) {
    if (json) {
      nlohmann::json j = query::HitJson(t.hit);
      j["duration"] = t.duration_seconds;
      j["start"] = {t.start.valence, t.start.arousal};
      j["end"] = {t.end.valence, t.end.arousal};
      std::cout << j.dump() << "\n";
      continue;
    }
    std::printf("%4d  %-6s %7.3f %7.3f %7.0fs  %s\n", ++i,
                std::string(core::QuadrantName(t.hit.quadrant)).c_str(),
                t.hit.valence, t.hit.arousal, t.duration_seconds,
                t.hit.track_id.c_str());
  }
  return kExitOk;
}

}  // namespace

int QueryMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()("index,i", po::value<std::string>(), "index folder")(
      "stats", "counts per quadrant, failures, model, hours of audio")(
      "track", po::value<std::string>(),
      "ID: one track's record with its timeline")(
      "failures", "failed tracks with their reasons")(
      "themes", po::value<std::string>(),
      "MOOD: the theme sub-clusters of one quadrant (stored by 'mer index')")(
      "themes-k", po::value<int>()->default_value(0),
      "--themes: this many themes, computed now (0: the stored ones)")(
      "arc", po::value<std::string>(),
      "V,A;V,A[;...]: a playlist along these V-A waypoints (or mood names, "
      "e.g. 'sad;happy')")(
      "count", po::value<int>()->default_value(10), "--arc: tracks")(
      "minutes", po::value<double>(), "--arc: total length instead of --count")(
      "mood", po::value<std::string>(),
      "happy|tense|sad|calm (or Q1..Q4): tracks of that mood, by confidence")(
      "min-confidence", po::value<float>()->default_value(0.0f),
      "confidence at least this")(
      "near", po::value<std::string>(),
      "V,A: nearest tracks in the valence-arousal plane first (exact)")(
      "box", po::value<std::string>(),
      "V0,V1,A0,A1: only tracks with V0<=V<=V1 and A0<=A<=A1")(
      "similar", po::value<std::string>(),
      "ID: the tracks that feel most alike first (embedding cosine)")(
      "like", po::value<std::string>(),
      "ID,ID,...: most like these tracks first")(
      "unlike", po::value<std::string>(),
      "ID,ID,...: least like these tracks (with --like: more like the liked, "
      "less like these)")(
      "tag", po::value<std::vector<std::string>>(),
      "only tracks carrying this tag (repeatable)")(
      "min-seconds", po::value<double>(), "only tracks at least this long")(
      "max-seconds", po::value<double>(), "only tracks at most this long")(
      "limit", po::value<int>(),
      "at most this many results (default 10; --box alone: every track)")(
      "k", po::value<int>(), "same as --limit")(
      "cursor", po::value<std::string>(),
      "the page after the one that printed this cursor")(
      "json", "JSON lines instead of a table");
  po::positional_options_description pos;
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("query", "--index DIR QUERY [OPTIONS]",
              "Answers emotion queries from an index made by 'mer index'. "
              "QUERY is --stats, --track,\n--failures, --themes, --arc, or a "
              "search combining any of --mood, --min-confidence,\n--near, "
              "--box, --similar, --like, --unlike, --tag, --min-seconds, "
              "--max-seconds\n(the strongest criterion orders: similarity, "
              "then distance, tag, confidence, id;\nthe others filter). When "
              "more results follow, stderr says the --cursor of the next\n"
              "page. The index is opened read-only, so queries work while a "
              "job writes.",
              desc);
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  if (!vm.count("index")) return UsageError("query", "--index is required");
  int modes = 0;
  for (const char* m : {"stats", "track", "failures", "themes", "arc"}) {
    modes += vm.count(m) ? 1 : 0;
  }
  bool searching = false;
  for (const char* m : {"mood", "near", "box", "similar", "like", "unlike",
                        "tag", "min-seconds", "max-seconds", "cursor"}) {
    searching = searching || vm.count(m) > 0;
  }
  if (modes > 1 || (modes == 1 && searching) || (modes == 0 && !searching)) {
    return UsageError("query",
                      "give one of --stats, --track, --failures, --themes, "
                      "--arc, or search criteria (--mood, --near, --box, "
                      "--similar, --like, --unlike, --tag, ...)");
  }
  if (vm.count("limit") && vm.count("k")) {
    return UsageError("query", "give --limit or --k, not both");
  }
  int limit = vm.count("limit") ? vm["limit"].as<int>()
              : vm.count("k")   ? vm["k"].as<int>()
                                : -1;
  if (vm.count("limit") + vm.count("k") && limit < 1) {
    return UsageError("query", "--limit and --k must be >= 1");
  }
  const bool json = vm.count("json") > 0;

  query::SearchRequest req;
  std::vector<float> nums;
  if (vm.count("near")) {
    if (!ParseFloats(vm["near"].as<std::string>(), 2, &nums)) {
      return UsageError("query", "--near takes V,A (two numbers)");
    }
    req.near = query::VaPoint{nums[0], nums[1]};
  }
  if (vm.count("box")) {
    if (!ParseFloats(vm["box"].as<std::string>(), 4, &nums)) {
      return UsageError("query", "--box takes V0,V1,A0,A1 (four numbers)");
    }
    req.box = query::VaBox{nums[0], nums[1], nums[2], nums[3]};
  }
  if (vm.count("mood")) {
    auto q = core::ParseQuadrant(vm["mood"].as<std::string>());
    if (!q.ok()) return UsageError("query", q.status().message());
    req.mood = *q;
  }
  req.min_confidence = vm["min-confidence"].as<float>();
  if (vm.count("similar")) req.similar_to = vm["similar"].as<std::string>();
  if (vm.count("like")) req.like = SplitIds(vm["like"].as<std::string>());
  if (vm.count("unlike")) req.unlike = SplitIds(vm["unlike"].as<std::string>());
  if (vm.count("tag")) req.tags = vm["tag"].as<std::vector<std::string>>();
  if (vm.count("min-seconds")) req.min_seconds = vm["min-seconds"].as<double>();
  if (vm.count("max-seconds")) req.max_seconds = vm["max-seconds"].as<double>();
  if (vm.count("cursor")) req.cursor = vm["cursor"].as<std::string>();
  // --box alone lists the whole box (as it always did); else 10 by default.
  const bool box_only = req.box && req.order() == query::Order::kId &&
                        !req.mood && req.tags.empty();
  req.limit = limit > 0 ? static_cast<size_t>(limit) : box_only ? 0 : 10;
  if (searching) {
    if (auto st = req.Validate(); !st.ok()) return UsageError("query", st.message());
  }

  query::ArcRequest arc;
  if (vm.count("arc")) {
    std::stringstream in(vm["arc"].as<std::string>());
    for (std::string part; std::getline(in, part, ';');) {
      if (auto q = core::ParseQuadrant(part); q.ok()) {
        arc.waypoints.push_back(query::MoodCentre(*q));
      } else if (ParseFloats(part, 2, &nums)) {
        arc.waypoints.push_back({nums[0], nums[1]});
      } else {
        return UsageError("query", "--arc takes V,A;V,A;... or mood names, "
                                   "not '" + part + "'");
      }
    }
    if (vm.count("minutes")) {
      arc.minutes = vm["minutes"].as<double>();
    } else {
      arc.count = static_cast<size_t>(std::max(0, vm["count"].as<int>()));
    }
    if (auto st = arc.Validate(); !st.ok()) return UsageError("query", st.message());
  }
  core::Quadrant theme_mood = core::Quadrant::kHappy;
  if (vm.count("themes")) {
    auto q = core::ParseQuadrant(vm["themes"].as<std::string>());
    if (!q.ok()) return UsageError("query", q.status().message());
    theme_mood = *q;
    if (vm["themes-k"].as<int>() < 0) {
      return UsageError("query", "--themes-k must be >= 0");
    }
  }

  const std::string dir = vm["index"].as<std::string>();
  storage::OpenOptions open;
  open.read_only = true;
  open.create_if_missing = false;
  auto index = EmotionIndex::Open(dir, open);
  if (!index.ok()) {
    PrintError("query", index.status().message());
    return kExitFailure;
  }
  EmotionIndex& idx = **index;
  auto fail = [](const core::Status& s) {
    PrintError("query", s.message());
    return kExitFailure;
  };

  if (vm.count("stats")) {
    auto s = idx.Stats();
    if (!s.ok()) return fail(s.status());
    PrintStats(*s, json);
    return kExitOk;
  }
  if (vm.count("track")) {
    const std::string id = vm["track"].as<std::string>();
    auto t = idx.GetTrack(id);
    if (!t.ok()) return fail(t.status());
    if (!*t) {
      auto f = idx.GetFailure(id);
      if (f.ok() && *f) {
        return fail(
            core::Status::NotFound("track '" + id + "' failed", (*f)->reason));
      }
      return fail(
          core::Status::NotFound("track '" + id + "'", "not in the index"));
    }
    return PrintTrack(**t, json);
  }
  if (vm.count("failures")) {
    auto fs = idx.Failures();
    if (!fs.ok()) return fail(fs.status());
    for (const auto& f : *fs) {
      if (json) {
        std::cout << nlohmann::json{{"track_id", f.track_id},
                                    {"path", f.path},
                                    {"reason", f.reason},
                                    {"attempts", f.attempts},
                                    {"failed_at_unix", f.failed_at_unix}}
                         .dump()
                  << "\n";
      } else {
        std::cout << f.track_id << "\t" << f.reason << "\n";
      }
    }
    if (!json && fs->empty()) std::cout << "(no failures)\n";
    return kExitOk;
  }
  if (vm.count("themes")) {
    return PrintThemes(idx, theme_mood, vm["themes-k"].as<int>(), json);
  }
  if (vm.count("arc")) return PrintArc(idx, arc, json);

  auto page = query::Search(idx, req);
  if (!page.ok()) return fail(page.status());
  static const char* kScoreNames[] = {"cosine", "distance", "tag", "conf", "conf"};
  PrintHits(page->results, kScoreNames[static_cast<int>(page->order)], json);
  if (!page->next.empty()) {
    std::cerr << "query: more results: --cursor " << page->next << "\n";
  }
  return kExitOk;
}

}  // namespace mer::cli
