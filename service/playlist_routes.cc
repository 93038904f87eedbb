// POST /api/v1/playlists/arc: a playlist along V-A waypoints (query::Arc),
// as JSON, M3U or XSPF.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "service/http_util.h"
#include "service/service_impl.h"
#include "storage/query.h"
#include "storage/query_json.h"

namespace mer::service {
namespace {

namespace query = storage::query;
using namespace http;  // NOLINT: the routes' own helpers

}  // namespace

void Service::Impl::InstallPlaylistRoutes() {
  httplib::Server& s = server;
  storage::EmotionIndex& idx = *index;
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

}

}  // namespace mer::service
