#include "storage/record_codec.h"

#include <algorithm>

#include "common/core/coding.h"
#include "storage/index_keys.h"

namespace mer::storage::codec {
namespace {

void ToProto(const Fingerprint& f, proto::Fingerprint* p) {
  p->set_size(f.size);
  p->set_mtime_ns(f.mtime_ns);
  p->set_prefix_hash(f.prefix_hash);
}

Fingerprint FromProto(const proto::Fingerprint& p) {
  return Fingerprint{p.size(), p.mtime_ns(), p.prefix_hash()};
}

core::Status Corrupt(std::string_view what, std::string_view id,
                     std::string_view why) {
  return core::Status::Corruption(
      std::string(what) + " of track '" + std::string(id) + "'", why);
}

}  // namespace

keys::HitValue HitOf(const proto::TrackRecord& r) {
  TrackResult t;
  for (int i = 0; i < 4 && i < r.quadrant_probs_size(); ++i) {
    t.quadrant_probs[i] = r.quadrant_probs(i);
  }
  return keys::HitValue{r.valence(), r.arousal(), t.confidence(), t.quadrant()};
}

std::string EncodeTrack(const TrackResult& t) {
  proto::TrackRecord r;
  r.set_path(t.path);
  ToProto(t.fingerprint, r.mutable_fingerprint());
  r.set_duration_seconds(t.duration_seconds);
  r.set_valence(t.valence);
  r.set_arousal(t.arousal);
  for (float p : t.quadrant_probs) r.add_quadrant_probs(p);
  r.mutable_timeline_start_seconds()->Reserve(t.timeline.size());
  for (const TimelinePoint& p : t.timeline) {
    r.add_timeline_start_seconds(p.start_seconds);
    r.add_timeline_valence(p.valence);
    r.add_timeline_arousal(p.arousal);
  }
  for (const auto& [name, score] : t.tags) {
    proto::Tag* tag = r.add_tags();
    tag->set_name(name);
    tag->set_score(score);
  }
  r.set_model_id(t.model_id);
  r.set_indexed_at_unix(t.indexed_at_unix);
  return r.SerializeAsString();
}

core::Result<proto::TrackRecord> ParseTrackRecord(std::string_view id,
                                                  std::string_view bytes) {
  proto::TrackRecord r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Corrupt("record", id, "not a TrackRecord");
  }
  if (r.quadrant_probs_size() != 4 ||
      r.timeline_valence_size() != r.timeline_start_seconds_size() ||
      r.timeline_arousal_size() != r.timeline_start_seconds_size()) {
    return Corrupt("record", id,
                   "wrong number of probabilities or timeline values");
  }
  return r;
}

core::Status DecodeTrack(std::string_view id, std::string_view bytes,
                         TrackResult* out) {
  MER_ASSIGN_OR_RETURN(proto::TrackRecord r, ParseTrackRecord(id, bytes));
  out->path = r.path();
  out->fingerprint = FromProto(r.fingerprint());
  out->duration_seconds = r.duration_seconds();
  out->valence = r.valence();
  out->arousal = r.arousal();
  for (int i = 0; i < 4; ++i) out->quadrant_probs[i] = r.quadrant_probs(i);
  out->timeline.resize(r.timeline_start_seconds_size());
  for (size_t i = 0; i < out->timeline.size(); ++i) {
    out->timeline[i] =
        TimelinePoint{r.timeline_start_seconds(i), r.timeline_valence(i),
                      r.timeline_arousal(i)};
  }
  out->tags.clear();
  for (const proto::Tag& tag : r.tags()) {
    out->tags.emplace_back(tag.name(), tag.score());
  }
  out->model_id = r.model_id();
  out->indexed_at_unix = r.indexed_at_unix();
  return core::Status::Ok();
}

std::string EncodeFailure(const FailureRecord& f) {
  proto::FailureRecord r;
  r.set_path(f.path);
  r.set_reason(f.reason);
  r.set_attempts(f.attempts);
  ToProto(f.fingerprint, r.mutable_fingerprint());
  r.set_failed_at_unix(f.failed_at_unix);
  return r.SerializeAsString();
}

core::Result<FailureRecord> DecodeFailure(std::string_view id,
                                          std::string_view bytes) {
  proto::FailureRecord r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Corrupt("failure record", id, "not a FailureRecord");
  }
  FailureRecord f;
  f.track_id = std::string(id);
  f.path = r.path();
  f.reason = r.reason();
  f.attempts = r.attempts();
  f.fingerprint = FromProto(r.fingerprint());
  f.failed_at_unix = r.failed_at_unix();
  return f;
}

std::string EncodeEmbedding(const std::vector<float>& v) {
  std::string out;
  core::PutFloats(&out, v);
  return out;
}

core::Result<std::vector<float>> DecodeEmbedding(std::string_view id,
                                                 std::string_view bytes) {
  if (bytes.size() % sizeof(float) != 0) {
    return Corrupt("embedding", id, "size is not a multiple of 4 bytes");
  }
  return core::DecodeFloats(bytes.data(), bytes.size() / sizeof(float));
}

SecondaryKeys SecondaryKeysOf(const TrackResult& t) {
  SecondaryKeys k;
  k.by_quadrant = keys::QuadrantKey(t.quadrant(), t.confidence(), t.track_id);
  k.by_va = keys::VaKey(t.valence, t.arousal, t.track_id);
  for (const auto& [name, score] : t.tags) {
    k.by_tag.push_back(keys::TagKey(name, score, t.track_id));
  }
  k.value = keys::EncodeHitValue(
      {t.valence, t.arousal, t.confidence(), t.quadrant()});
  return k;
}

SecondaryKeys SecondaryKeysOf(std::string_view id,
                              const proto::TrackRecord& r) {
  keys::HitValue hit = HitOf(r);
  SecondaryKeys k;
  k.by_quadrant = keys::QuadrantKey(hit.quadrant, hit.confidence, id);
  k.by_va = keys::VaKey(r.valence(), r.arousal(), id);
  for (const proto::Tag& tag : r.tags()) {
    k.by_tag.push_back(keys::TagKey(tag.name(), tag.score(), id));
  }
  k.value = keys::EncodeHitValue(hit);
  return k;
}

}  // namespace mer::storage::codec
