// mer query --index DIR (--stats | --mood Q | --near V,A | --box V0,V1,A0,A1 |
// --track ID | --similar ID | --failures): answers emotion queries from the
// index. The index is opened read-only, so queries run while a job writes
// (they see what was on disk when the query started).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "storage/emotion_index.h"

namespace mer::cli {
namespace {

using storage::EmotionIndex;

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

nlohmann::json HitJson(const EmotionIndex::Hit& h) {
  return {{"track_id", h.track_id},
          {"quadrant", std::string(core::QuadrantName(h.quadrant))},
          {"valence", h.valence},
          {"arousal", h.arousal},
          {"confidence", h.confidence},
          {"score", h.score}};
}

void PrintHits(const std::vector<EmotionIndex::Hit>& hits,
               const char* score_name, bool json) {
  if (json) {
    for (const auto& h : hits) std::cout << HitJson(h).dump() << "\n";
    return;
  }
  std::printf("%4s  %-6s %7s %7s %6s %8s  %s\n", "#", "mood", "valence",
              "arousal", "conf", score_name, "track");
  int i = 0;
  for (const auto& h : hits) {
    std::printf("%4d  %-6s %7.3f %7.3f %6.3f %8.4f  %s\n", ++i,
                std::string(core::QuadrantName(h.quadrant)).c_str(), h.valence,
                h.arousal, h.confidence, h.score, h.track_id.c_str());
  }
  if (hits.empty()) std::printf("(no tracks)\n");
}

int PrintTrack(const storage::TrackResult& t, bool json) {
  if (json) {
    nlohmann::json timeline = nlohmann::json::array();
    for (const auto& p : t.timeline) {
      timeline.push_back(
          {{"start", p.start_seconds},
           {"valence", p.valence},
           {"arousal", p.arousal},
           {"mood", std::string(core::QuadrantName(
                        core::QuadrantOf(p.valence, p.arousal)))}});
    }
    nlohmann::json tags = nlohmann::json::object();
    for (const auto& [name, score] : t.tags) tags[name] = score;
    std::cout << nlohmann::json{{"track_id", t.track_id},
                                {"path", t.path},
                                {"duration", t.duration_seconds},
                                {"quadrant",
                                 std::string(core::QuadrantName(t.quadrant()))},
                                {"confidence", t.confidence()},
                                {"valence", t.valence},
                                {"arousal", t.arousal},
                                {"quadrant_probs",
                                 {{"happy", t.quadrant_probs[0]},
                                  {"tense", t.quadrant_probs[1]},
                                  {"sad", t.quadrant_probs[2]},
                                  {"calm", t.quadrant_probs[3]}}},
                                {"embedding_dim", t.embedding.size()},
                                {"tags", tags},
                                {"model_id", t.model_id},
                                {"indexed_at_unix", t.indexed_at_unix},
                                {"timeline", timeline}}
                     .dump()
              << "\n";
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
    nlohmann::json q = nlohmann::json::object();
    for (int i = 0; i < 4; ++i) q[kNames[i]] = s.per_quadrant[i];
    nlohmann::json fe =
        nlohmann::json::parse(s.identity.front_end_json, nullptr, false);
    std::cout << nlohmann::json{{"tracks", s.tracks},
                                {"failures", s.failures},
                                {"per_quadrant", q},
                                {"audio_hours", s.audio_hours},
                                {"model_id", s.identity.model_id},
                                {"front_end_digest",
                                 s.identity.front_end_digest},
                                {"front_end",
                                 fe.is_discarded() ? nlohmann::json() : fe},
                                {"embedding_dim", s.embedding_dim},
                                {"ann_fresh", s.ann_fresh},
                                {"schema_version", s.schema_version}}
                     .dump()
              << "\n";
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

}  // namespace

int QueryMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()("index,i", po::value<std::string>(), "index folder")(
      "stats", "counts per quadrant, failures, model, hours of audio")(
      "mood", po::value<std::string>(),
      "happy|tense|sad|calm (or Q1..Q4): tracks of that mood by confidence")(
      "limit", po::value<int>()->default_value(10),
      "--mood: at most this many tracks")(
      "min-confidence", po::value<float>()->default_value(0.0f),
      "--mood: confidence at least this")(
      "near", po::value<std::string>(),
      "V,A: the k nearest tracks in the valence-arousal plane (exact)")(
      "box", po::value<std::string>(),
      "V0,V1,A0,A1: every track with V0<=V<=V1 and A0<=A<=A1")(
      "similar", po::value<std::string>(),
      "ID: the k tracks that feel most alike (embedding cosine)")(
      "k", po::value<int>()->default_value(10),
      "--near/--similar: how many tracks")(
      "track", po::value<std::string>(),
      "ID: one track's record with its timeline")(
      "failures", "failed tracks with their reasons")(
      "json", "JSON lines instead of a table");
  po::positional_options_description pos;
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("query", "--index DIR QUERY [OPTIONS]",
              "Answers one emotion query from an index made by 'mer index'. "
              "QUERY is one of --stats,\n--mood, --near, --box, --similar, "
              "--track, --failures. The index is opened read-only,\nso queries "
              "work while a job writes.",
              desc);
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  if (!vm.count("index")) return UsageError("query", "--index is required");
  int modes = 0;
  for (const char* m :
       {"stats", "mood", "near", "box", "similar", "track", "failures"}) {
    modes += vm.count(m) ? 1 : 0;
  }
  if (modes != 1) {
    return UsageError("query",
                      "give exactly one of --stats, --mood, --near, "
                      "--box, --similar, --track, --failures");
  }
  const bool json = vm.count("json") > 0;
  const int limit = vm["limit"].as<int>(), k = vm["k"].as<int>();
  if (limit < 1 || k < 1)
    return UsageError("query", "--limit and --k must be >= 1");
  std::vector<float> nums;
  if (vm.count("near") &&
      !ParseFloats(vm["near"].as<std::string>(), 2, &nums)) {
    return UsageError("query", "--near takes V,A (two numbers)");
  }
  if (vm.count("box") && !ParseFloats(vm["box"].as<std::string>(), 4, &nums)) {
    return UsageError("query", "--box takes V0,V1,A0,A1 (four numbers)");
  }
  core::Quadrant mood = core::Quadrant::kHappy;
  if (vm.count("mood")) {
    auto q = core::ParseQuadrant(vm["mood"].as<std::string>());
    if (!q.ok()) return UsageError("query", q.status().message());
    mood = *q;
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
  core::Result<std::vector<EmotionIndex::Hit>> hits =
      std::vector<EmotionIndex::Hit>{};
  const char* score = "score";
  if (vm.count("mood")) {
    hits = idx.TopByMood(mood, limit, vm["min-confidence"].as<float>());
  } else if (vm.count("near")) {
    hits = idx.NearestVa(nums[0], nums[1], k);
    score = "distance";
  } else if (vm.count("box")) {
    hits = idx.Box(nums[0], nums[1], nums[2], nums[3]);
    score = "conf";
  } else if (vm.count("similar")) {
    hits = idx.Similar(vm["similar"].as<std::string>(), k);
    score = "cosine";
  }
  if (!hits.ok()) return fail(hits.status());
  PrintHits(*hits, score, json);
  return kExitOk;
}

}  // namespace mer::cli
