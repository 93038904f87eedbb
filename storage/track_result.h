// The plain values the emotion index stores and returns (DESIGN.md §6).
// Callers never see the protobuf records behind them.
//
// Thread-safety: plain values; distinct objects need no synchronisation.
#ifndef MER_STORAGE_TRACK_RESULT_H_
#define MER_STORAGE_TRACK_RESULT_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/core/emotion.h"
#include "common/core/status.h"
#include "storage/track_fingerprint.h"

namespace mer::storage {

// V and A of one segment of a track, from `start_seconds` on.
struct TimelinePoint {
  float start_seconds = 0;
  float valence = 0;
  float arousal = 0;
  bool operator==(const TimelinePoint&) const = default;
};

// Everything the index keeps about one analysed track.
struct TrackResult {
  std::string track_id;  // non-empty; the key of every record of the track
  std::string path;
  Fingerprint fingerprint;
  double duration_seconds = 0;  // finite, >= 0
  float valence = 0;            // finite; nominally in [-1, 1]
  float arousal = 0;            // finite; nominally in [-1, 1]
  // Q1 happy, Q2 tense, Q3 sad, Q4 calm; each finite and in [0, 1].
  std::array<float, 4> quadrant_probs{};
  // L2-normalised; empty means "no embedding". All non-empty embeddings of
  // one index have the same dimension.
  std::vector<float> embedding;
  std::vector<TimelinePoint> timeline;
  // Optional (tag, score) pairs; a tag is non-empty and holds no NUL byte.
  std::vector<std::pair<std::string, float>> tags;
  std::string model_id;
  int64_t indexed_at_unix = 0;

  // Argmax of quadrant_probs (the first of equal maxima).
  core::Quadrant quadrant() const;
  // The largest of quadrant_probs.
  float confidence() const;

  // InvalidArgument naming the track when a field is unusable (empty id,
  // NaN or infinite numbers, probabilities outside [0, 1], bad tags).
  core::Status Validate() const;

  bool operator==(const TrackResult&) const = default;
};

// A track that could not be analysed, and why.
struct FailureRecord {
  std::string track_id;
  std::string path;
  std::string
      reason;  // e.g. "song.mp3: Invalid data found when processing input"
  int attempts = 1;  // stored as given
  Fingerprint fingerprint;
  int64_t failed_at_unix = 0;

  core::Status Validate() const;
  bool operator==(const FailureRecord&) const = default;
};

// What must match for results to be comparable: the model and the front end
// (sample rate, mel parameters, ...) that produced them.
struct IndexIdentity {
  std::string model_id;
  std::string front_end_digest;
  std::string front_end_json;  // recorded for people; not compared
  bool operator==(const IndexIdentity&) const = default;
};

struct IndexStats {
  uint64_t tracks = 0;
  uint64_t failures = 0;
  std::array<uint64_t, 4> per_quadrant{};  // by TrackResult::quadrant()
  double audio_hours = 0;  // sum of durations (kept in whole microseconds)
  uint64_t embedding_dim = 0;
  bool ann_fresh = false;  // embeddings.hnsw covers every embedding
  IndexIdentity identity;
  int schema_version = 0;
};

}  // namespace mer::storage

#endif  // MER_STORAGE_TRACK_RESULT_H_
