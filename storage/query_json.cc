// JSON forms of query answers (storage/query_json.h).
#include "storage/query_json.h"

namespace mer::storage::query {
namespace {

std::string Mood(core::Quadrant q) { return std::string(core::QuadrantName(q)); }

}  // namespace

nlohmann::json HitJson(const Hit& h) {
  return {{"track_id", h.track_id},     {"mood", Mood(h.quadrant)},
          {"valence", h.valence},       {"arousal", h.arousal},
          {"confidence", h.confidence}, {"score", h.score}};
}

nlohmann::json SearchHitJson(const SearchHit& h) {
  nlohmann::json j = HitJson(h.hit);
  j["why"] = h.why;
  return j;
}

nlohmann::json TrackJson(const TrackResult& t) {
  nlohmann::json timeline = nlohmann::json::array();
  for (const auto& p : t.timeline) {
    timeline.push_back({{"start", p.start_seconds},
                        {"valence", p.valence},
                        {"arousal", p.arousal},
                        {"mood", Mood(core::QuadrantOf(p.valence, p.arousal))}});
  }
  nlohmann::json tags = nlohmann::json::object();
  for (const auto& [name, score] : t.tags) tags[name] = score;
  return {{"track_id", t.track_id},
          {"path", t.path},
          {"duration", t.duration_seconds},
          {"mood", Mood(t.quadrant())},
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
          {"timeline", timeline}};
}

nlohmann::json StatsJson(const IndexStats& s) {
  nlohmann::json q = nlohmann::json::object();
  for (int i = 0; i < 4; ++i) q[Mood(static_cast<core::Quadrant>(i))] = s.per_quadrant[i];
  nlohmann::json fe = nlohmann::json::parse(s.identity.front_end_json, nullptr, false);
  return {{"tracks", s.tracks},
          {"failures", s.failures},
          {"per_quadrant", q},
          {"audio_hours", s.audio_hours},
          {"model_id", s.identity.model_id},
          {"front_end_digest", s.identity.front_end_digest},
          {"front_end", fe.is_discarded() ? nlohmann::json() : fe},
          {"embedding_dim", s.embedding_dim},
          {"ann_fresh", s.ann_fresh},
          {"schema_version", s.schema_version}};
}

nlohmann::json ThemeJson(const Theme& t) {
  return {{"id", t.id},
          {"size", t.size},
          {"valence", t.valence},
          {"arousal", t.arousal},
          {"tracks", t.tracks}};
}

}  // namespace mer::storage::query
