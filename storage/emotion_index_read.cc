// EmotionIndex point lookups, listings and statistics.
#include "storage/emotion_index.h"
#include "storage/emotion_index_rep.h"
#include "storage/record_codec.h"

namespace mer::storage {

core::Result<std::optional<TrackResult>> EmotionIndex::GetTrack(
    const std::string& id) const {
  MER_ASSIGN_OR_RETURN(auto bytes, rep_->Get(kCfTracks, id));
  if (!bytes) return std::optional<TrackResult>();
  TrackResult t;
  t.track_id = id;
  MER_RETURN_IF_ERROR(codec::DecodeTrack(id, *bytes, &t));
  MER_ASSIGN_OR_RETURN(auto embedding, rep_->Get(kCfEmbeddings, id));
  if (embedding) {
    MER_ASSIGN_OR_RETURN(t.embedding, codec::DecodeEmbedding(id, *embedding));
  }
  return std::optional<TrackResult>(std::move(t));
}

core::Result<std::optional<FailureRecord>> EmotionIndex::GetFailure(
    const std::string& id) const {
  MER_ASSIGN_OR_RETURN(auto bytes, rep_->Get(kCfFailures, id));
  if (!bytes) return std::optional<FailureRecord>();
  MER_ASSIGN_OR_RETURN(FailureRecord f, codec::DecodeFailure(id, *bytes));
  return std::optional<FailureRecord>(std::move(f));
}

core::Result<std::optional<std::pair<Fingerprint, std::string>>>
EmotionIndex::GetFingerprint(const std::string& id) const {
  using Out = std::optional<std::pair<Fingerprint, std::string>>;
  MER_ASSIGN_OR_RETURN(auto bytes, rep_->Get(kCfTracks, id));
  if (!bytes) return Out();
  MER_ASSIGN_OR_RETURN(proto::TrackRecord r,
                       codec::ParseTrackRecord(id, *bytes));
  const proto::Fingerprint& f = r.fingerprint();
  return Out(std::in_place,
             Fingerprint{f.size(), f.mtime_ns(), f.prefix_hash()},
             r.model_id());
}

core::Result<std::vector<FailureRecord>> EmotionIndex::Failures() const {
  std::vector<FailureRecord> out;
  auto it = rep_->NewIterator(kCfFailures);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    MER_ASSIGN_OR_RETURN(FailureRecord f,
                         codec::DecodeFailure(it->key().ToStringView(),
                                              it->value().ToStringView()));
    out.push_back(std::move(f));
  }
  MER_RETURN_IF_ERROR(FromRocks(it->status(), "list failures of " + rep_->dir));
  return out;
}

core::Result<bool> EmotionIndex::AnnIsFresh() const {
  MER_ASSIGN_OR_RETURN(auto manifest, rep_->ReadAnnManifest());
  if (!manifest) return false;
  MER_ASSIGN_OR_RETURN(proto::IndexCounters c, rep_->ReadCounters());
  return manifest->embedding_generation() == c.embedding_generation() &&
         manifest->dim() == c.embedding_dim();
}

core::Result<IndexStats> EmotionIndex::Stats() const {
  IndexStats stats;
  MER_ASSIGN_OR_RETURN(proto::IndexCounters c, rep_->ReadCounters());
  stats.tracks = c.tracks();
  stats.failures = c.failures();
  for (int q = 0; q < core::kNumQuadrants; ++q) {
    stats.per_quadrant[q] = c.per_quadrant(q);
  }
  stats.audio_hours = static_cast<double>(c.duration_us()) / 3.6e9;
  stats.embedding_dim = c.embedding_dim();
  MER_ASSIGN_OR_RETURN(stats.ann_fresh, AnnIsFresh());
  MER_ASSIGN_OR_RETURN(auto identity, GetIdentity());
  if (identity) stats.identity = std::move(*identity);
  MER_ASSIGN_OR_RETURN(auto version, rep_->Get(kCfMeta, kMetaSchemaVersion));
  stats.schema_version = version ? std::atoi(version->c_str()) : 0;
  return stats;
}

core::Status EmotionIndex::ForEachTrack(
    const std::function<bool(const TrackResult&)>& fn) const {
  // Both column families are ordered by track id: walk them in step.
  auto tracks = rep_->NewIterator(kCfTracks);
  auto embeddings = rep_->NewIterator(kCfEmbeddings);
  embeddings->SeekToFirst();
  for (tracks->SeekToFirst(); tracks->Valid(); tracks->Next()) {
    TrackResult t;
    t.track_id = tracks->key().ToString();
    MER_RETURN_IF_ERROR(
        codec::DecodeTrack(t.track_id, tracks->value().ToStringView(), &t));
    while (embeddings->Valid() &&
           embeddings->key().compare(tracks->key()) < 0) {
      embeddings->Next();
    }
    if (embeddings->Valid() && embeddings->key() == tracks->key()) {
      MER_ASSIGN_OR_RETURN(t.embedding,
                           codec::DecodeEmbedding(
                               t.track_id, embeddings->value().ToStringView()));
    }
    if (!fn(t)) return core::Status::Ok();
  }
  MER_RETURN_IF_ERROR(FromRocks(embeddings->status(), "scan " + rep_->dir));
  return FromRocks(tracks->status(), "scan tracks of " + rep_->dir);
}

core::Status EmotionIndex::ForEachTrackId(
    const std::function<bool(std::string_view)>& fn,
    std::string_view after) const {
  auto it = rep_->NewIterator(kCfTracks);
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(after);
    if (it->Valid() && it->key().ToStringView() == after) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    if (!fn(it->key().ToStringView())) return core::Status::Ok();
  }
  return FromRocks(it->status(), "scan track ids of " + rep_->dir);
}

}  // namespace mer::storage
