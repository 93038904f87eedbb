// `mer serve` end to end: real files encoded with the ffmpeg CLI, indexed by
// the real `mer index`, served by the real binary on a free loopback port,
// asked over HTTP (fixture: serve_api_fixture.h). Every answer is checked
// for being right (against the index read directly), plus the bad-request
// matrix and catching up with a job that writes while the service runs.
#include "tests/integration/serve_api_fixture.h"

namespace mer {
namespace {

using nlohmann::json;

TEST_F(ServeApiTest, StatsAndTracksAnswerWhatTheIndexHolds) {
  auto [st, stats] = Get("/api/v1/stats");
  ASSERT_EQ(st, 200);
  EXPECT_GE(stats["tracks"].get<size_t>(), g->good.size());
  EXPECT_TRUE(stats["themes"].get<bool>()) << "mer index stores themes";
  EXPECT_TRUE(stats["by_example"].get<bool>());
  auto idx = Index();
  for (const auto& id : g->good) {
    auto [code, t] = Get("/api/v1/tracks/" + Enc(id));
    ASSERT_EQ(code, 200) << id << " " << t.dump();
    auto rec = idx->GetTrack(id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_EQ(t["track_id"], id);
    EXPECT_EQ(t["mood"], std::string(core::QuadrantName((*rec)->quadrant())));
    EXPECT_FLOAT_EQ(t["valence"].get<float>(), (*rec)->valence);
    EXPECT_EQ(t["timeline"].size(), (*rec)->timeline.size());
    EXPECT_GE(t["timeline"].size(), 2u);
    EXPECT_FALSE(t.contains("path")) << "the API never shows file paths";
    EXPECT_EQ(t["title"], fs::path(id).filename().string());
  }
  auto [missing, err] = Get("/api/v1/tracks/no-such.ogg");
  EXPECT_EQ(missing, 404);
  EXPECT_TRUE(err["error"].is_string());
  auto [failed, why] = Get("/api/v1/tracks/notes.mp3");
  EXPECT_EQ(failed, 404);
  EXPECT_NE(why["error"].get<std::string>().find("failed"), std::string::npos) << why;
}

TEST_F(ServeApiTest, AudioIsServedByIdWithRangesAndNeverByPath) {
  const std::string id = "sub/e f.ogg";
  const std::string bytes = ReadFile(Cat() + "/" + id);
  auto c = Client();
  auto whole = c.Get(("/api/v1/tracks/" + Enc(id) + "/audio").c_str());
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->get_header_value("Content-Type"), "audio/ogg");
  EXPECT_EQ(whole->body, bytes);
  auto part = c.Get(("/api/v1/tracks/" + Enc(id) + "/audio").c_str(),
                    {{"Range", "bytes=10-109"}});
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, bytes.substr(10, 100));
  for (const char* attempt :
       {"/api/v1/tracks/..%2F..%2F..%2Fetc%2Fpasswd/audio",
        "/api/v1/tracks/%2Fetc%2Fpasswd/audio", "/api/v1/tracks/../../../etc/passwd/audio",
        "/../../etc/passwd", "/api/v1/tracks/sub%2F..%2Fa.ogg/audio"}) {
    auto r = c.Get(attempt);
    ASSERT_TRUE(r) << attempt;
    EXPECT_TRUE(r->status == 404 || r->status == 400) << attempt << " " << r->status;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << attempt;
  }
}

TEST_F(ServeApiTest, SearchAnswersAreRightAndPagesAreDisjoint) {
  auto idx = Index();
  // mood: every result of that mood, by confidence.
  for (const char* mood : {"happy", "tense", "sad", "calm"}) {
    auto [st, r] = Search({{"mood", mood}, {"limit", 100}});
    ASSERT_EQ(st, 200) << r;
    float last = 2;
    for (const auto& h : r["results"]) {
      EXPECT_EQ(h["mood"], mood);
      EXPECT_LE(h["confidence"].get<float>(), last);
      last = h["confidence"].get<float>();
      EXPECT_TRUE(h["why"].is_string());
    }
  }
  // box: every result inside, and every track inside is a result.
  json box = {{"valence", {-0.2, 1.0}}, {"arousal", {-1.0, 0.3}}};
  auto [bs, br] = Search({{"box", box}, {"limit", 100}});
  ASSERT_EQ(bs, 200) << br;
  auto inside = idx->Box(-0.2f, 1.0f, -1.0f, 0.3f);
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(br["results"].size(), inside->size());
  for (const auto& h : br["results"]) {
    EXPECT_GE(h["valence"].get<float>(), -0.2f);
    EXPECT_LE(h["arousal"].get<float>(), 0.3f);
  }
  // near: sorted by distance; score is the distance.
  auto [ns, nr] = Search({{"near", {{"valence", 0.1}, {"arousal", -0.1}}}, {"limit", 50}});
  ASSERT_EQ(ns, 200);
  ASSERT_EQ(nr["results"].size(), g->good.size());
  double prev = -1;
  for (const auto& h : nr["results"]) {
    const double d = std::hypot(h["valence"].get<double>() - 0.1,
                                h["arousal"].get<double>() + 0.1);
    EXPECT_NEAR(h["score"].get<double>(), d, 1e-5);
    EXPECT_GE(d, prev - 1e-9);
    prev = d;
  }
  // similar_to: itself left out, cosine descending.
  const std::string seed = *g->good.begin();
  auto [ss, sr] = Search({{"similar_to", seed}, {"limit", 5}});
  ASSERT_EQ(ss, 200) << sr;
  ASSERT_EQ(sr["results"].size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NE(sr["results"][i]["track_id"], seed);
    if (i) {
      EXPECT_LE(sr["results"][i]["score"], sr["results"][i - 1]["score"]);
    }
  }
  // Pagination: pages of 3 are disjoint and add up to the whole list.
  std::vector<std::string> paged;
  json next;
  int pages = 0;
  do {
    json body = {{"limit", 3}};
    if (!next.is_null()) body["cursor"] = next;
    auto [ps, pr] = Search(body);
    ASSERT_EQ(ps, 200) << pr;
    for (const auto& h : pr["results"]) paged.push_back(h["track_id"]);
    next = pr["next"];
    ++pages;
  } while (!next.is_null() && pages < 20);
  EXPECT_GE(pages, 4);
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), paged.size());
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()), g->good);
}

TEST_F(ServeApiTest, BadRequestsGetTheRightCodesAndAJsonError) {
  struct Case {
    std::string body;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"{not json", 400},
           {"[1, 2]", 400},
           {R"({"mood": "angry"})", 400},
           {R"({"mood": 3})", 400},
           {R"({"moood": "sad"})", 400},
           {R"({"limit": 0})", 400},
           {R"({"limit": 100000})", 400},
           {R"({"box": {"valence": [1, -1]}})", 400},
           {R"({"near": {"valence": "x", "arousal": 0}})", 400},
           {R"({"min_confidence": 2})", 400},
           {R"({"cursor": "not-a-cursor"})", 400},
           {R"({"similar_to": "no-such.ogg"})", 404},
           {R"({"like": ["no-such.ogg"]})", 404},
       }) {
    auto [st, r] = Post("/api/v1/search", c.body);
    EXPECT_EQ(st, c.status) << c.body << " -> " << r;
    EXPECT_TRUE(r.contains("error") && r["error"].is_string()) << c.body;
  }
  // Over the service's body limit (2 MiB here).
  auto [big, br] = Post("/api/v1/search", std::string(3 << 20, ' '));
  EXPECT_EQ(big, 413) << br;
  EXPECT_TRUE(br["error"].is_string());
  auto [nf, nr] = Get("/api/v1/no-such-endpoint");
  EXPECT_EQ(nf, 404);
  EXPECT_TRUE(nr["error"].is_string());
  auto [tk, tr] = Get("/api/v1/themes?mood=grumpy");
  EXPECT_EQ(tk, 400);
  auto [af, ar] = Get("/api/v1/audio-features");
  EXPECT_EQ(af, 400);
  auto [arc, arcr] = Post("/api/v1/playlists/arc", R"({"waypoints": [[0, 0]], "count": 3})");
  EXPECT_EQ(arc, 400) << arcr;
  auto [arc2, arcr2] = Post("/api/v1/playlists/arc", R"({"from": "no-such.ogg", "to": "happy"})");
  EXPECT_EQ(arc2, 404) << arcr2;
}

TEST_F(ServeApiTest, ByExampleOfAnIndexedClipFindsThatClipFirst) {
  auto idx = Index();
  for (const std::string id : {"b.mp3", "sub/e f.ogg"}) {
    auto [st, r] = Post("/api/v1/by-example?limit=3", ReadFile(Cat() + "/" + id),
                        "application/octet-stream");
    ASSERT_EQ(st, 200) << r;
    ASSERT_FALSE(r["results"].empty());
    EXPECT_EQ(r["results"][0]["track_id"], id) << r["results"];
    EXPECT_NEAR(r["results"][0]["score"].get<double>(), 1.0, 1e-4);
    auto rec = idx->GetTrack(id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_NEAR(r["clip"]["valence"].get<double>(), (*rec)->valence, 1e-4);
    EXPECT_NEAR(r["clip"]["arousal"].get<double>(), (*rec)->arousal, 1e-4);
    EXPECT_EQ(r["clip"]["timeline"].size(), (*rec)->timeline.size());
    EXPECT_EQ(r["nearest_va"][0]["track_id"], id);
  }
  // Multipart, as a browser form sends it.
  auto c = Client();
  httplib::MultipartFormDataItems items = {
      {"file", ReadFile(Cat() + "/d.wav"), "d.wav", "audio/wav"}};
  auto mp = c.Post("/api/v1/by-example?limit=2", items);
  ASSERT_TRUE(mp);
  EXPECT_EQ(mp->status, 200) << mp->body;
  EXPECT_EQ(json::parse(mp->body)["results"][0]["track_id"], "d.wav");
  // Not audio: 400 naming the reason, never the temp file.
  auto [na, nr] = Post("/api/v1/by-example", "this is not audio", "application/octet-stream");
  EXPECT_EQ(na, 400);
  EXPECT_NE(nr["error"].get<std::string>().find("not audio"), std::string::npos) << nr;
  EXPECT_EQ(nr["error"].get<std::string>().find("mer-example-"), std::string::npos) << nr;
  // Too large: 413.
  auto [tl, tr] = Post("/api/v1/by-example", std::string(3 << 20, 'x'),
                       "application/octet-stream");
  EXPECT_EQ(tl, 413) << tr;
}

TEST_F(ServeApiTest, ArcsMoveFromTheFirstWaypointToTheLastAndExport) {
  auto [st, r] = Post("/api/v1/playlists/arc",
                      R"({"waypoints": [[-0.8, -0.8], [0.8, 0.8]], "count": 5})");
  ASSERT_EQ(st, 200) << r;
  const auto& tracks = r["tracks"];
  ASSERT_EQ(tracks.size(), 5u);
  std::set<std::string> seen;
  for (const auto& t : tracks) EXPECT_TRUE(seen.insert(t["track_id"]).second);
  auto d = [](const json& t, double v, double a) {
    return std::hypot(t["valence"].get<double>() - v, t["arousal"].get<double>() - a);
  };
  EXPECT_LE(d(tracks.front(), -0.8, -0.8), d(tracks.back(), -0.8, -0.8));
  EXPECT_LE(d(tracks.back(), 0.8, 0.8), d(tracks.front(), 0.8, 0.8));
  for (const auto& t : tracks) {
    EXPECT_EQ(t["start"].size(), 2u);
    EXPECT_EQ(t["end"].size(), 2u);
  }
  // from a track, to a mood: the track comes first.
  const std::string first = "c.flac";
  auto [fs_, fr] = Post("/api/v1/playlists/arc",
                        json{{"from", {{"track", first}}}, {"to", "calm"}, {"count", 3}}.dump());
  ASSERT_EQ(fs_, 200) << fr;
  EXPECT_EQ(fr["tracks"][0]["track_id"], first);
  // M3U: the audio URLs of the same playlist, each one served.
  auto c = Client();
  auto m3u = c.Post("/api/v1/playlists/arc?format=m3u",
                    R"({"waypoints": [[-0.8, -0.8], [0.8, 0.8]], "count": 5})",
                    "application/json");
  ASSERT_TRUE(m3u);
  ASSERT_EQ(m3u->status, 200);
  EXPECT_EQ(m3u->body.rfind("#EXTM3U\n", 0), 0u);
  std::istringstream lines(m3u->body);
  int urls = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("http://", 0) != 0) continue;
    const std::string path = line.substr(line.find("/api/"));
    auto a = c.Get(path.c_str(), {{"Range", "bytes=0-3"}});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 206) << path;
    ++urls;
  }
  EXPECT_EQ(urls, 5);
  auto xspf = c.Post("/api/v1/playlists/arc?format=xspf", R"({"from": "sad", "to": "happy", "count": 4})",
                     "application/json");
  ASSERT_TRUE(xspf);
  EXPECT_EQ(xspf->status, 200);
  EXPECT_NE(xspf->body.find("<trackList>"), std::string::npos);
  size_t locations = 0;
  for (size_t at = 0; (at = xspf->body.find("<location>", at)) != std::string::npos; ++at) ++locations;
  EXPECT_EQ(locations, 4u);
}

TEST_F(ServeApiTest, ThemesAddUpToTheirQuadrantAndAudioFeaturesAreUnitScaled) {
  auto [st, stats] = Get("/api/v1/stats");
  ASSERT_EQ(st, 200);
  for (const char* mood : {"happy", "tense", "sad", "calm"}) {
    auto [ts, tr] = Get(std::string("/api/v1/themes?mood=") + mood);
    ASSERT_EQ(ts, 200) << tr;
    EXPECT_EQ(tr["source"], "stored");
    size_t sum = 0;
    for (const auto& th : tr["themes"]) sum += th["size"].get<size_t>();
    EXPECT_EQ(sum, stats["per_quadrant"][mood].get<size_t>()) << mood;
  }
  auto [ks, kr] = Get("/api/v1/themes?mood=calm&k=1");
  ASSERT_EQ(ks, 200);
  if (stats["per_quadrant"]["calm"].get<size_t>() > 0) {
    EXPECT_EQ(kr["themes"].size(), 1u);
  }

  auto idx = Index();
  auto [fs_, fr] = Get("/api/v1/audio-features?ids=" + Enc("a.ogg") + "," + Enc("sub/e f.ogg") +
                       ",no-such.ogg");
  ASSERT_EQ(fs_, 200) << fr;
  ASSERT_EQ(fr["audio_features"].size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const auto& f = fr["audio_features"][i];
    auto rec = idx->GetTrack(f["id"].get<std::string>());
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_NEAR(f["valence"].get<double>(), ((*rec)->valence + 1) / 2, 1e-6);
    EXPECT_NEAR(f["energy"].get<double>(), ((*rec)->arousal + 1) / 2, 1e-6);
    EXPECT_EQ(f["type"], "audio_features");
  }
  EXPECT_TRUE(fr["audio_features"][2].is_null());
}

TEST_F(ServeApiTest, ThePageIsServedFromTheBinary) {
  auto c = Client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page->body.find("<canvas"), std::string::npos);
  auto js = c.Get("/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_GT(js->body.size(), 1000u);
  auto [pts, p] = Get("/api/v1/points");
  ASSERT_EQ(pts, 200);
  EXPECT_EQ(p["ids"].size(), p["valence"].size());
  EXPECT_GE(p["ids"].size(), g->good.size());
}

TEST_F(ServeApiTest, ASecondServerOnTheSamePortFailsClearly) {
  const std::string log = (g->dir / "second.log").string();
  // (timeout: a second server that did bind would serve for ever)
  const int rc = Shell("timeout 30 " + Quote(kMer) + " serve --index " + Quote(g->index) +
                           " --listen 127.0.0.1:" + std::to_string(g->port),
                       nullptr, log);
  const std::string err = ReadFile(log);  // stderr
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("cannot listen"), std::string::npos) << err;
  // The first one still answers.
  EXPECT_EQ(Get("/api/v1/stats").first, 200);
}

// Declared last, so it runs last (it adds a track the others do not
// expect): a job writing the index while the service runs.
TEST_F(ServeApiTest, TheServiceCatchesUpWithAJobWritingTheIndex) {
  auto [st, before] = Get("/api/v1/stats");
  ASSERT_EQ(st, 200);
  const size_t n = before["tracks"].get<size_t>();
  const std::string id = "new/added-" + std::to_string(::getpid()) + ".ogg";
  Encode(id, 5, 3);
  std::string out;
  ASSERT_EQ(Shell(IndexCmd(), &out, g->log), 0) << ReadFile(g->log);
  size_t now = n;
  for (int i = 0; i < 100 && now == n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    now = Get("/api/v1/stats").second["tracks"].get<size_t>();
  }
  EXPECT_EQ(now, n + 1) << "the service did not see the new track within 10 s";
  auto [ts, t] = Get("/api/v1/tracks/" + Enc(id));
  EXPECT_EQ(ts, 200) << t;
}

}  // namespace
}  // namespace mer
