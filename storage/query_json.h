// JSON forms of query answers, the same for `mer query --json` and
// `mer serve` (so a script can switch between them).
#ifndef MER_STORAGE_QUERY_JSON_H_
#define MER_STORAGE_QUERY_JSON_H_

#include <nlohmann/json.hpp>

#include "storage/query.h"

namespace mer::storage::query {

// {"track_id", "mood", "valence", "arousal", "confidence", "score"}
nlohmann::json HitJson(const Hit& hit);
// HitJson plus "why".
nlohmann::json SearchHitJson(const SearchHit& hit);
// The whole record: "track_id", "path", "duration", "mood", "confidence",
// "valence", "arousal", "quadrant_probs", "embedding_dim", "tags",
// "model_id", "indexed_at_unix", "timeline" [{"start", "valence",
// "arousal", "mood"}] (a segment's mood is the quadrant of its V-A point).
nlohmann::json TrackJson(const TrackResult& track);
// What `mer query --stats --json` prints.
nlohmann::json StatsJson(const IndexStats& stats);
// {"id", "size", "valence", "arousal", "tracks"}
nlohmann::json ThemeJson(const Theme& theme);

}  // namespace mer::storage::query

#endif  // MER_STORAGE_QUERY_JSON_H_
