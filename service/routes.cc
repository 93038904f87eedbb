// The HTTP routes of `mer serve` (API in README "mer serve"): parse the
// request, call the query layer (storage/query.h), format the answer.
// Errors are {"error": "..."} with 400 (bad request), 404 (unknown id),
// 413 (too large); never a stack trace. By-example and playlists live in
// example_routes.cc and playlist_routes.cc.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "service/http_util.h"
#include "service/service_impl.h"
#include "service/web_assets.h"
#include "storage/query.h"
#include "storage/query_json.h"

namespace mer::service {
namespace {

namespace fs = std::filesystem;
namespace query = storage::query;
using namespace http;  // NOLINT: the routes' own helpers

constexpr size_t kMaxFeatureIds = 100;

query::SearchRequest ParseSearch(const json& j) {
  OnlyKeys(j, {"mood", "min_confidence", "box", "near", "similar_to", "like",
               "unlike", "tags", "duration", "limit", "cursor"});
  query::SearchRequest r;
  if (j.contains("mood")) r.mood = Mood(j["mood"]);
  if (j.contains("min_confidence")) {
    r.min_confidence = Number(j["min_confidence"], "min_confidence");
  }
  if (j.contains("box")) {
    const json& b = j["box"];
    if (!b.is_object()) throw HttpError{400, "box must be {\"valence\": [lo, hi], \"arousal\": [lo, hi]}"};
    OnlyKeys(b, {"valence", "arousal"});
    query::VaBox box;
    if (b.contains("valence")) std::tie(box.v0, box.v1) = Range(b["valence"], "box.valence");
    if (b.contains("arousal")) std::tie(box.a0, box.a1) = Range(b["arousal"], "box.arousal");
    r.box = box;
  }
  if (j.contains("near")) {
    const json& n = j["near"];
    if (!n.is_object() || !n.contains("valence") || !n.contains("arousal")) {
      throw HttpError{400, "near must be {\"valence\": v, \"arousal\": a}"};
    }
    OnlyKeys(n, {"valence", "arousal"});
    r.near = query::VaPoint{Number(n["valence"], "near.valence"),
                            Number(n["arousal"], "near.arousal")};
  }
  if (j.contains("similar_to")) r.similar_to = String(j["similar_to"], "similar_to");
  if (j.contains("like")) r.like = Strings(j["like"], "like");
  if (j.contains("unlike")) r.unlike = Strings(j["unlike"], "unlike");
  if (j.contains("tags")) r.tags = Strings(j["tags"], "tags");
  if (j.contains("duration")) {
    auto [lo, hi] = Range(j["duration"], "duration");
    r.min_seconds = lo;
    r.max_seconds = hi;
  }
  r.limit = Limit(j.contains("limit") ? j["limit"] : json(), 20);
  if (j.contains("cursor") && !j["cursor"].is_null()) r.cursor = String(j["cursor"], "cursor");
  if (auto st = r.Validate(); !st.ok()) throw HttpError{400, st.message()};
  return r;
}

// ---- answers ----

json HitsJson(const std::vector<query::SearchHit>& hits) {
  json out = json::array();
  for (const auto& h : hits) out.push_back(query::SearchHitJson(h));
  return out;
}

// The record as the API shows it: no file path (audio is served by id).
json PublicTrackJson(const storage::TrackResult& t) {
  json j = query::TrackJson(t);
  j.erase("path");
  j["title"] = Title(t.path.empty() ? t.track_id : t.path);
  j["audio_url"] = AudioUrl(t.track_id);
  return j;
}

const char* AudioType(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ext == ".ogg" || ext == ".oga" || ext == ".opus") return "audio/ogg";
  if (ext == ".mp3") return "audio/mpeg";
  if (ext == ".flac") return "audio/flac";
  if (ext == ".wav") return "audio/wav";
  if (ext == ".m4a" || ext == ".mp4" || ext == ".aac") return "audio/mp4";
  if (ext == ".webm") return "audio/webm";
  return "application/octet-stream";
}
}  // namespace

void Service::Impl::InstallRoutes() {
  httplib::Server& s = server;
  storage::EmotionIndex& idx = *index;
  InstallExampleRoutes();
  InstallPlaylistRoutes();

  // ---- the page ----
  s.Get(R"(/|/[A-Za-z0-9_\-]+\.(html|js|css|svg))",
        [](const httplib::Request& req, httplib::Response& res) {
          const WebAsset* a = FindWebAsset(req.path);
          if (!a) return SendError(res, 404, "no such page: " + req.path);
          res.set_header("Cache-Control", "no-cache");
          res.set_content(std::string(a->data), std::string(a->content_type).c_str());
        });

  s.Get("/api/v1/stats", Guard([this, &idx](const httplib::Request&, httplib::Response& res) {
          json j = query::StatsJson(OrThrow(idx.Stats()));
          j["themes"] = OrThrow(query::LoadThemes(idx)).has_value();
          j["by_example"] = example != nullptr;
          SendJson(res, j);
        }));

  // Every track's V-A point, columnar, for the map (cached per generation).
  s.Get("/api/v1/points", Guard([this, &idx](const httplib::Request&, httplib::Response& res) {
          const uint64_t gen = generation.load();
          std::shared_ptr<const std::string> body;
          {
            std::lock_guard<std::mutex> lock(cache_mu);
            if (points_generation == gen) body = points_json;
          }
          if (!body) {
            json ids = json::array(), v = json::array(), a = json::array(),
                 c = json::array(), m = json::array();
            auto st = idx.ForEachTrack([&](const storage::TrackResult& t) {
              ids.push_back(t.track_id);
              v.push_back(std::round(t.valence * 1e4f) / 1e4f);
              a.push_back(std::round(t.arousal * 1e4f) / 1e4f);
              c.push_back(std::round(t.confidence() * 1e3f) / 1e3f);
              m.push_back(static_cast<int>(t.quadrant()));
              return true;
            });
            if (!st.ok()) throw HttpError{500, st.message()};
            body = std::make_shared<const std::string>(
                json{{"ids", ids}, {"valence", v}, {"arousal", a},
                     {"confidence", c}, {"mood", m}}
                    .dump());
            std::lock_guard<std::mutex> lock(cache_mu);
            points_generation = gen;
            points_json = body;
          }
          res.set_content(*body, "application/json");
        }));

  // Audio first: the record route's pattern would also match ".../audio".
  s.Get(R"(/api/v1/tracks/(.+)/audio)",
        Guard([&idx](const httplib::Request& req, httplib::Response& res) {
          const std::string id = req.matches[1];
          auto t = OrThrow(idx.GetTrack(id));
          if (!t) throw HttpError{404, "track '" + id + "' is not in the index"};
          std::error_code ec;
          const auto size = fs::file_size(t->path, ec);
          if (ec || !fs::is_regular_file(t->path)) {
            throw HttpError{404, "the audio file of track '" + id + "' is gone"};
          }
          auto file = std::make_shared<std::ifstream>(t->path, std::ios::binary);
          if (!*file) throw HttpError{404, "the audio file of track '" + id + "' cannot be read"};
          res.set_header("Accept-Ranges", "bytes");
          res.set_content_provider(
              static_cast<size_t>(size), AudioType(t->path),
              [file](size_t offset, size_t length, httplib::DataSink& sink) {
                char buf[64 * 1024];
                file->clear();
                file->seekg(static_cast<std::streamoff>(offset));
                const size_t n = std::min(length, sizeof buf);
                file->read(buf, static_cast<std::streamsize>(n));
                const auto got = file->gcount();
                if (got <= 0) return false;
                return sink.write(buf, static_cast<size_t>(got));
              });
        }));

  s.Get(R"(/api/v1/tracks/(.+))",
        Guard([&idx](const httplib::Request& req, httplib::Response& res) {
          const std::string id = req.matches[1];
          auto t = OrThrow(idx.GetTrack(id));
          if (!t) {
            auto f = OrThrow(idx.GetFailure(id));
            if (f) throw HttpError{404, "track '" + id + "' failed: " + f->reason};
            throw HttpError{404, "track '" + id + "' is not in the index"};
          }
          SendJson(res, PublicTrackJson(*t));
        }));

  s.Post("/api/v1/search", Guard([&idx](const httplib::Request& req, httplib::Response& res) {
           const query::SearchRequest r = ParseSearch(ParseBody(req));
           auto page = OrThrow(query::Search(idx, r));
           SendJson(res, {{"results", HitsJson(page.results)},
                          {"next", page.next.empty() ? json() : json(page.next)},
                          {"order", query::OrderName(page.order)}});
         }));

  s.Get("/api/v1/themes", Guard([this, &idx](const httplib::Request& req, httplib::Response& res) {
          if (!req.has_param("mood")) throw HttpError{400, "give ?mood=happy|tense|sad|calm"};
          const core::Quadrant q = Mood(json(req.get_param_value("mood")));
          int k = 0;
          if (req.has_param("k")) {
            const std::string text = req.get_param_value("k");
            char* end = nullptr;
            const long v = std::strtol(text.c_str(), &end, 10);
            if (text.empty() || *end != '\0' || v < 1 || v > 64) {
              throw HttpError{400, "k must be an integer in 1..64"};
            }
            k = static_cast<int>(v);
          }
          const auto stored = OrThrow(query::LoadThemes(idx));
          json themes = json::array();
          std::string source = "stored";
          if (stored && (k == 0 || stored->k == k)) {
            for (const auto& t : stored->per_quadrant[static_cast<int>(q)]) {
              themes.push_back(query::ThemeJson(t));
            }
          } else {  // computed now, cached until the index changes
            source = "computed";
            const auto key = std::make_tuple(static_cast<int>(q), k, generation.load());
            {
              std::lock_guard<std::mutex> lock(cache_mu);
              auto hit = this->themes.find(key);
              if (hit != this->themes.end()) themes = hit->second;
            }
            if (themes.empty()) {
              for (const auto& t : OrThrow(query::ComputeQuadrantThemes(idx, q, k))) {
                themes.push_back(query::ThemeJson(t));
              }
              std::lock_guard<std::mutex> lock(cache_mu);
              this->themes[key] = themes;
            }
          }
          SendJson(res, {{"mood", std::string(core::QuadrantName(q))},
                         {"source", source},
                         {"themes", themes}});
        }));

  // Spotify's former audio-features answer: valence and energy in 0..1.
  s.Get("/api/v1/audio-features", Guard([&idx](const httplib::Request& req, httplib::Response& res) {
          if (!req.has_param("ids")) throw HttpError{400, "give ?ids=ID,ID,..."};
          std::vector<std::string> ids;
          std::stringstream in(req.get_param_value("ids"));
          for (std::string id; std::getline(in, id, ',');) {
            if (!id.empty()) ids.push_back(id);
          }
          if (ids.empty() || ids.size() > kMaxFeatureIds) {
            throw HttpError{400, "ids must name 1.." + std::to_string(kMaxFeatureIds) + " tracks"};
          }
          auto unit = [](float x) { return std::clamp((x + 1.0f) / 2.0f, 0.0f, 1.0f); };
          json out = json::array();
          for (const auto& id : ids) {
            auto t = OrThrow(idx.GetTrack(id));
            if (!t) {
              out.push_back(nullptr);
              continue;
            }
            out.push_back({{"id", id},
                           {"valence", unit(t->valence)},
                           {"energy", unit(t->arousal)},
                           {"duration_ms", std::llround(t->duration_seconds * 1000)},
                           {"type", "audio_features"},
                           {"uri", "mer:track:" + id},
                           {"track_href", "/api/v1/tracks/" + UrlEncode(id)},
                           {"mood", std::string(core::QuadrantName(t->quadrant()))},
                           {"confidence", t->confidence()}});
          }
          SendJson(res, {{"audio_features", out}});
        }));
}

}  // namespace mer::service
