// The HTTP routes of `mer serve` (API in README "mer serve"): parse the
// request, call the query layer (storage/query.h), format the answer.
// Errors are {"error": "..."} with 400 (bad request), 404 (unknown id),
// 413 (too large); never a stack trace.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "service/service_impl.h"
#include "service/web_assets.h"
#include "storage/query.h"
#include "storage/query_json.h"

namespace mer::service {
namespace {

namespace fs = std::filesystem;
namespace query = storage::query;
using nlohmann::json;

constexpr size_t kMaxLimit = 1000;
constexpr size_t kMaxFeatureIds = 100;

// A request error: the HTTP status and the message.
struct HttpError {
  int status;
  std::string message;
};

void SendJson(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, {{"error", message}}, status);
}

int StatusOf(const core::Status& s) {
  switch (s.code()) {
    case core::Status::Code::kNotFound:
      return 404;
    case core::Status::Code::kInvalidArgument:
      return 400;
    default:
      return 500;
  }
}

// Percent-encodes a track id for a URL path segment.
std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string AudioUrl(const std::string& id) {
  return "/api/v1/tracks/" + UrlEncode(id) + "/audio";
}

std::string Title(const std::string& path_or_id) {
  return fs::path(path_or_id).filename().string();
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// ---- request parsing ----

json ParseBody(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw HttpError{400, "the body is not valid JSON"};
  if (!j.is_object()) throw HttpError{400, "the body must be a JSON object"};
  return j;
}

float Number(const json& j, const std::string& what) {
  if (!j.is_number()) throw HttpError{400, what + " must be a number"};
  const double x = j.get<double>();
  if (!std::isfinite(x)) throw HttpError{400, what + " must be finite"};
  return static_cast<float>(x);
}

std::pair<float, float> Range(const json& j, const std::string& what) {
  if (!j.is_array() || j.size() != 2) {
    throw HttpError{400, what + " must be [low, high]"};
  }
  return {Number(j[0], what), Number(j[1], what)};
}

std::string String(const json& j, const std::string& what) {
  if (!j.is_string() || j.get<std::string>().empty()) {
    throw HttpError{400, what + " must be a non-empty string"};
  }
  return j.get<std::string>();
}

std::vector<std::string> Strings(const json& j, const std::string& what) {
  if (j.is_string()) return {String(j, what)};
  if (!j.is_array()) throw HttpError{400, what + " must be a list of strings"};
  std::vector<std::string> out;
  for (const auto& x : j) out.push_back(String(x, what));
  return out;
}

core::Quadrant Mood(const json& j) {
  auto q = core::ParseQuadrant(String(j, "mood"));
  if (!q.ok()) {
    throw HttpError{400, "unknown mood '" + j.get<std::string>() +
                             "' (happy, tense, sad or calm)"};
  }
  return *q;
}

size_t Limit(const json& j, size_t dflt) {
  if (j.is_null()) return dflt;
  if (!j.is_number_integer() || j.get<long long>() < 1 ||
      j.get<long long>() > static_cast<long long>(kMaxLimit)) {
    throw HttpError{400, "limit must be an integer in 1.." + std::to_string(kMaxLimit)};
  }
  return j.get<size_t>();
}

size_t QueryLimit(const httplib::Request& req, const char* name, size_t dflt) {
  if (!req.has_param(name)) return dflt;
  const std::string text = req.get_param_value(name);
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1 || v > static_cast<long>(kMaxLimit)) {
    throw HttpError{400, std::string(name) + " must be an integer in 1.." +
                             std::to_string(kMaxLimit)};
  }
  return static_cast<size_t>(v);
}

// Throws on keys the endpoint does not know (a typo would else be ignored).
void OnlyKeys(const json& j, std::initializer_list<const char*> known) {
  for (const auto& [key, value] : j.items()) {
    if (std::none_of(known.begin(), known.end(),
                     [&](const char* k) { return key == k; })) {
      throw HttpError{400, "unknown field '" + key + "'"};
    }
  }
}

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

// Wraps a handler: HttpError and failed Statuses become JSON errors.
template <typename Fn>
httplib::Server::Handler Guard(Fn fn) {
  return [fn](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const HttpError& e) {
      SendError(res, e.status, e.message);
    }
  };
}

template <typename T>
T OrThrow(core::Result<T> r) {
  if (!r.ok()) throw HttpError{StatusOf(r.status()), r.status().message()};
  return std::move(*r);
}

}  // namespace

void Service::Impl::InstallRoutes() {
  httplib::Server& s = server;
  storage::EmotionIndex& idx = *index;

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

  // A content reader: the body is read here whatever its Content-Type (a
  // plain handler would have httplib parse a form-encoded upload).
  s.Post("/api/v1/by-example", [this, &idx](const httplib::Request& req,
                                            httplib::Response& res,
                                            const httplib::ContentReader& reader) {
         try {
           if (!example) {
             throw HttpError{400, "search by example needs a model: start mer serve with --model"};
           }
           const size_t limit = QueryLimit(req, "limit", 10);
           const size_t max_bytes = options.max_body_bytes;
           if (req.has_header("Content-Length") &&
               std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) >
                   max_bytes) {
             // Let httplib read past the limit as it does for other routes
             // (it then skips the body), so clients see the 413.
             reader([](const char*, size_t) { return true; });
             throw HttpError{413, "the upload is larger than " +
                                      std::to_string(max_bytes >> 20) +
                                      " MiB (mer serve --max-upload-mb)"};
           }
           std::string body, field;
           bool have_file = false;
           bool read = false;
           if (req.is_multipart_form_data()) {
             read = reader(
                 [&](const httplib::MultipartFormData& part) {
                   field = part.name;
                   have_file = have_file || field == "file";
                   return true;
                 },
                 [&](const char* data, size_t n) {
                   if (field == "file") body.append(data, n);
                   return true;
                 });
           } else {
             read = reader([&](const char* data, size_t n) {
               body.append(data, n);
               return true;
             });
           }
           if (read && req.is_multipart_form_data() && !have_file) {
             throw HttpError{400, "multipart upload without a 'file' field"};
           }
           if (!read) {
             throw HttpError{body.size() >= max_bytes ? 413 : 400,
                             "the upload could not be read whole"};
           }
           const std::string* bytes = &body;
           Clip clip;
           std::string error;
           const int status = example->Analyze(*bytes, &clip, &error);
           if (status != 200) throw HttpError{status, error};
           const storage::TrackResult& t = clip.track;
           json c = query::TrackJson(t);
           for (const char* k : {"track_id", "path", "model_id", "indexed_at_unix", "tags"}) {
             c.erase(k);
           }
           json results = json::array(), near = json::array();
           if (!t.embedding.empty()) {
             size_t rank = 0;
             for (const auto& h : OrThrow(idx.SimilarTo(t.embedding, limit))) {
               char why[64];
               std::snprintf(why, sizeof why, "#%zu cosine %.3f to the clip", ++rank, h.score);
               json j = query::HitJson(h);
               j["why"] = why;
               results.push_back(j);
             }
           }
           size_t rank = 0;
           for (const auto& h : OrThrow(idx.NearestVa(t.valence, t.arousal, limit))) {
             char why[64];
             std::snprintf(why, sizeof why, "#%zu distance %.3f from the clip", ++rank, h.score);
             json j = query::HitJson(h);
             j["why"] = why;
             near.push_back(j);
           }
           SendJson(res, {{"clip", c}, {"results", results}, {"nearest_va", near}});
         } catch (const HttpError& e) {
           SendError(res, e.status, e.message);
         }
       });

  s.Post("/api/v1/playlists/arc", Guard([&idx](const httplib::Request& req, httplib::Response& res) {
           const json j = ParseBody(req);
           OnlyKeys(j, {"waypoints", "from", "to", "count", "minutes", "smoothness"});
           query::ArcRequest r;
           // "from"/"to": a mood name, a track id, or {"track": id}.
           auto end_point = [&](const json& e, const char* what,
                                std::string* pin) -> query::VaPoint {
             std::string id;
             if (e.is_object() && e.contains("track")) {
               id = String(e["track"], std::string(what) + ".track");
             } else {
               const std::string text = String(e, what);
               if (auto q = core::ParseQuadrant(text); q.ok()) return query::MoodCentre(*q);
               id = text;
             }
             auto t = OrThrow(idx.GetTrack(id));
             if (!t) {
               throw HttpError{404, std::string(what) + ": '" + id +
                                        "' is neither a mood nor a track in the index"};
             }
             *pin = id;
             return {t->valence, t->arousal};
           };
           if (j.contains("from")) r.waypoints.push_back(end_point(j["from"], "from", &r.first_track));
           if (j.contains("waypoints")) {
             if (!j["waypoints"].is_array()) {
               throw HttpError{400, "waypoints must be [[v, a], ...]"};
             }
             for (const auto& p : j["waypoints"]) {
               auto [v, a] = Range(p, "a waypoint");
               r.waypoints.push_back({v, a});
             }
           }
           if (j.contains("to")) r.waypoints.push_back(end_point(j["to"], "to", &r.last_track));
           if (j.contains("count")) {
             if (!j["count"].is_number_integer() || j["count"].get<long long>() < 1) {
               throw HttpError{400, "count must be an integer >= 1"};
             }
             r.count = j["count"].get<size_t>();
           }
           if (j.contains("minutes")) r.minutes = Number(j["minutes"], "minutes");
           if (!j.contains("count") && !j.contains("minutes")) r.count = 10;
           if (j.contains("smoothness")) r.smoothness = Number(j["smoothness"], "smoothness");
           if (auto st = r.Validate(); !st.ok()) throw HttpError{400, st.message()};
           const auto tracks = OrThrow(query::Arc(idx, r));

           const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
           const std::string base = "http://" + req.get_header_value("Host");
           if (format == "m3u") {
             std::ostringstream m3u;
             m3u << "#EXTM3U\n";
             for (const auto& t : tracks) {
               m3u << "#EXTINF:" << static_cast<long>(std::lround(t.duration_seconds)) << ","
                   << Title(t.path) << "\n"
                   << base << AudioUrl(t.hit.track_id) << "\n";
             }
             res.set_header("Content-Disposition", "attachment; filename=\"mer-arc.m3u\"");
             res.set_content(m3u.str(), "audio/x-mpegurl");
             return;
           }
           if (format == "xspf") {
             std::ostringstream x;
             x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\n"
                  "  <title>mer arc</title>\n  <trackList>\n";
             for (const auto& t : tracks) {
               char note[96];
               std::snprintf(note, sizeof note, "%s, valence %.2f, arousal %.2f",
                             std::string(core::QuadrantName(t.hit.quadrant)).c_str(),
                             t.hit.valence, t.hit.arousal);
               x << "    <track>\n      <location>"
                 << XmlEscape(base + AudioUrl(t.hit.track_id)) << "</location>\n"
                 << "      <title>" << XmlEscape(Title(t.path)) << "</title>\n"
                 << "      <annotation>" << XmlEscape(note) << "</annotation>\n"
                 << "      <duration>" << std::llround(t.duration_seconds * 1000)
                 << "</duration>\n    </track>\n";
             }
             x << "  </trackList>\n</playlist>\n";
             res.set_header("Content-Disposition", "attachment; filename=\"mer-arc.xspf\"");
             res.set_content(x.str(), "application/xspf+xml");
             return;
           }
           if (format != "json") throw HttpError{400, "format must be json, m3u or xspf"};
           json list = json::array(), way = json::array();
           for (const auto& t : tracks) {
             json e = query::HitJson(t.hit);
             e["title"] = Title(t.path);
             e["duration"] = t.duration_seconds;
             e["start"] = {t.start.valence, t.start.arousal};
             e["end"] = {t.end.valence, t.end.arousal};
             e["target"] = {t.target.valence, t.target.arousal};
             e["audio_url"] = AudioUrl(t.hit.track_id);
             list.push_back(e);
           }
           for (const auto& p : r.waypoints) way.push_back({p.valence, p.arousal});
           SendJson(res, {{"tracks", list}, {"waypoints", way}});
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
