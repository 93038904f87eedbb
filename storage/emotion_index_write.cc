// EmotionIndex::Write and Delete: a track's record, embedding, secondary
// keys, failure record and the counters change in one WriteBatch. The old
// record is read first so that its secondary keys are deleted in the same
// batch (RocksDB admits one writer, so nothing changes between read and write).
#include <rocksdb/write_batch.h>

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "storage/emotion_index.h"
#include "storage/emotion_index_rep.h"
#include "storage/record_codec.h"

namespace mer::storage {
namespace {

int64_t DurationMicros(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

// Adds (sign +1) or removes (sign -1) a track's contribution to `c`.
void Count(proto::IndexCounters* c, int sign, core::Quadrant q,
           double duration_seconds) {
  c->set_tracks(c->tracks() + sign);
  int i = static_cast<int>(q);
  c->set_per_quadrant(i, c->per_quadrant(i) + sign);
  c->set_duration_us(c->duration_us() +
                     sign * DurationMicros(duration_seconds));
}

void DeleteSecondary(const EmotionIndex::Rep& rep,
                     const codec::SecondaryKeys& k,
                     rocksdb::WriteBatch* batch) {
  batch->Delete(rep.h(kCfByQuadrant), k.by_quadrant);
  batch->Delete(rep.h(kCfByVa), k.by_va);
  for (const std::string& key : k.by_tag) batch->Delete(rep.h(kCfByTag), key);
}

// Removes what an existing record owns (not the record itself).
core::Status UnindexOld(const EmotionIndex::Rep& rep, std::string_view id,
                        std::string_view old_bytes, proto::IndexCounters* c,
                        rocksdb::WriteBatch* batch) {
  MER_ASSIGN_OR_RETURN(proto::TrackRecord old,
                       codec::ParseTrackRecord(id, old_bytes));
  DeleteSecondary(rep, codec::SecondaryKeysOf(id, old), batch);
  Count(c, -1, codec::HitOf(old).quadrant, old.duration_seconds());
  return core::Status::Ok();
}

// Point-reads `ids` from one column family: found[i] says whether it exists,
// values[i] holds it.
core::Status MultiRead(const EmotionIndex::Rep& rep, Cf c,
                       const std::vector<std::string_view>& ids,
                       std::vector<rocksdb::PinnableSlice>* values,
                       std::vector<bool>* found) {
  std::vector<rocksdb::Slice> keys(ids.begin(), ids.end());
  std::vector<rocksdb::Status> statuses(ids.size());
  *values = std::vector<rocksdb::PinnableSlice>(ids.size());
  found->assign(ids.size(), false);
  if (ids.empty()) return core::Status::Ok();
  rep.db->MultiGet(rocksdb::ReadOptions(), rep.h(c), keys.size(), keys.data(),
                   values->data(), statuses.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].ok()) {
      (*found)[i] = true;
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], rep.dir + ": read " + kCfNames[c] + " '" +
                                        std::string(ids[i]) + "'");
    }
  }
  return core::Status::Ok();
}

}  // namespace

core::Status EmotionIndex::Write(const std::vector<TrackResult>& tracks,
                                 const std::vector<FailureRecord>& failures) {
  MER_RETURN_IF_ERROR(rep_->RequireWritable("Write"));
  for (const TrackResult& t : tracks) MER_RETURN_IF_ERROR(t.Validate());
  for (const FailureRecord& f : failures) MER_RETURN_IF_ERROR(f.Validate());
  if (tracks.empty() && failures.empty()) return core::Status::Ok();
  std::lock_guard<std::mutex> lock(rep_->write_mu);

  // Last occurrence wins; a result beats a failure of the same id.
  std::unordered_map<std::string_view, size_t> last_track, last_failure;
  for (size_t i = 0; i < tracks.size(); ++i) last_track[tracks[i].track_id] = i;
  for (size_t i = 0; i < failures.size(); ++i) {
    if (!last_track.contains(failures[i].track_id)) {
      last_failure[failures[i].track_id] = i;
    }
  }
  std::vector<const TrackResult*> todo_tracks;
  std::vector<const FailureRecord*> todo_failures;
  for (size_t i = 0; i < tracks.size(); ++i) {
    if (last_track[tracks[i].track_id] == i) todo_tracks.push_back(&tracks[i]);
  }
  for (size_t i = 0; i < failures.size(); ++i) {
    auto it = last_failure.find(failures[i].track_id);
    if (it != last_failure.end() && it->second == i) {
      todo_failures.push_back(&failures[i]);
    }
  }

  MER_ASSIGN_OR_RETURN(proto::IndexCounters counters, rep_->ReadCounters());
  uint32_t dim = counters.embedding_dim();
  for (const TrackResult* t : todo_tracks) {
    if (t->embedding.empty()) continue;
    if (dim == 0) dim = static_cast<uint32_t>(t->embedding.size());
    if (t->embedding.size() != dim) {
      return core::Status::InvalidArgument(
          "track '" + t->track_id + "'",
          "embedding has " + std::to_string(t->embedding.size()) +
              " values, the index holds " + std::to_string(dim));
    }
  }
  counters.set_embedding_dim(dim);

  // Old track records and failure records of every id touched.
  std::vector<std::string_view> track_ids, all_ids;
  for (const TrackResult* t : todo_tracks) track_ids.push_back(t->track_id);
  all_ids = track_ids;
  for (const FailureRecord* f : todo_failures) all_ids.push_back(f->track_id);
  std::vector<rocksdb::PinnableSlice> old_tracks, old_failures;
  std::vector<bool> has_track, has_failure;
  MER_RETURN_IF_ERROR(
      MultiRead(*rep_, kCfTracks, track_ids, &old_tracks, &has_track));
  MER_RETURN_IF_ERROR(
      MultiRead(*rep_, kCfFailures, all_ids, &old_failures, &has_failure));

  rocksdb::WriteBatch batch;
  for (size_t i = 0; i < todo_tracks.size(); ++i) {
    const TrackResult& t = *todo_tracks[i];
    if (has_track[i]) {
      MER_RETURN_IF_ERROR(UnindexOld(
          *rep_, t.track_id, old_tracks[i].ToStringView(), &counters, &batch));
    }
    batch.Put(rep_->h(kCfTracks), t.track_id, codec::EncodeTrack(t));
    if (t.embedding.empty()) {
      batch.Delete(rep_->h(kCfEmbeddings), t.track_id);
    } else {
      batch.Put(rep_->h(kCfEmbeddings), t.track_id,
                codec::EncodeEmbedding(t.embedding));
    }
    codec::SecondaryKeys k = codec::SecondaryKeysOf(t);
    batch.Put(rep_->h(kCfByQuadrant), k.by_quadrant, k.value);
    batch.Put(rep_->h(kCfByVa), k.by_va, k.value);
    for (const std::string& key : k.by_tag) {
      batch.Put(rep_->h(kCfByTag), key, k.value);
    }
    Count(&counters, +1, t.quadrant(), t.duration_seconds);
    if (has_failure[i]) {
      batch.Delete(rep_->h(kCfFailures), t.track_id);
      counters.set_failures(counters.failures() - 1);
    }
  }
  for (size_t j = 0; j < todo_failures.size(); ++j) {
    const FailureRecord& f = *todo_failures[j];
    batch.Put(rep_->h(kCfFailures), f.track_id, codec::EncodeFailure(f));
    if (!has_failure[todo_tracks.size() + j]) {
      counters.set_failures(counters.failures() + 1);
    }
  }
  if (!todo_tracks.empty()) {
    counters.set_embedding_generation(counters.embedding_generation() + 1);
  }
  batch.Put(rep_->h(kCfMeta), kMetaCounters, counters.SerializeAsString());

  rocksdb::WriteOptions wo;
  wo.sync = rep_->options.sync_writes;
  return FromRocks(rep_->db->Write(wo, &batch),
                   "index " + rep_->dir + ": write " +
                       std::to_string(todo_tracks.size()) + " tracks, " +
                       std::to_string(todo_failures.size()) + " failures");
}

core::Status EmotionIndex::Delete(const std::string& track_id) {
  MER_RETURN_IF_ERROR(rep_->RequireWritable("Delete"));
  std::lock_guard<std::mutex> lock(rep_->write_mu);
  MER_ASSIGN_OR_RETURN(auto old, rep_->Get(kCfTracks, track_id));
  MER_ASSIGN_OR_RETURN(auto failure, rep_->Get(kCfFailures, track_id));
  if (!old && !failure) return core::Status::Ok();
  MER_ASSIGN_OR_RETURN(proto::IndexCounters counters, rep_->ReadCounters());
  rocksdb::WriteBatch batch;
  if (old) {
    MER_RETURN_IF_ERROR(UnindexOld(*rep_, track_id, *old, &counters, &batch));
    batch.Delete(rep_->h(kCfTracks), track_id);
    batch.Delete(rep_->h(kCfEmbeddings), track_id);
    counters.set_embedding_generation(counters.embedding_generation() + 1);
  }
  if (failure) {
    batch.Delete(rep_->h(kCfFailures), track_id);
    counters.set_failures(counters.failures() - 1);
  }
  batch.Put(rep_->h(kCfMeta), kMetaCounters, counters.SerializeAsString());
  rocksdb::WriteOptions wo;
  wo.sync = rep_->options.sync_writes;
  return FromRocks(rep_->db->Write(wo, &batch),
                   "index " + rep_->dir + ": delete track '" + track_id + "'");
}

}  // namespace mer::storage
