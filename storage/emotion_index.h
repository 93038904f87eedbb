// EmotionIndex: the persistent emotion index of a catalogue (DESIGN.md §6),
// a RocksDB database with the column families
//   tracks       track id -> TrackRecord (protobuf)
//   embeddings   track id -> float32 vector
//   by_quadrant  quadrant, confidence desc, track id   (see index_keys.h)
//   by_va        Z-order of quantised (V, A), track id
//   by_tag       tag, score desc, track id
//   failures     track id -> FailureRecord (protobuf)
//   meta         name -> value: schema version, identity, counters, ANN
//                manifest, and caller entries (job manifests: PutMeta)
// A track's record, embedding, secondary keys, the removal of its failure
// record and the counters behind Stats() change in one rocksdb::WriteBatch,
// so the index is never half-updated, even across crashes.
//
//   MER_ASSIGN_OR_RETURN(auto index, EmotionIndex::Open("/data/idx"));
//   MER_RETURN_IF_ERROR(index->CheckIdentity(identity, /*reindex=*/false));
//   MER_RETURN_IF_ERROR(index->Write(results, failures));
//   MER_ASSIGN_OR_RETURN(auto hits, index->TopByMood(Quadrant::kSad, 10,
//   0.5f));
//
// Ownership: owns the database and its handles; closes them on destruction.
// Thread-safety: const methods (queries) may run concurrently from any number
// of threads, also while one thread writes. Write, Delete, CheckIdentity,
// PutMeta, BuildAnn and CatchUp must come from one thread at a time (they
// serialise on an internal mutex, but RocksDB admits a single writer process).
// Readers in other processes open the same directory read-only or as a
// secondary instance (OpenOptions) while a job writes.
#ifndef MER_STORAGE_EMOTION_INDEX_H_
#define MER_STORAGE_EMOTION_INDEX_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/emotion.h"
#include "common/core/result.h"
#include "storage/track_result.h"

namespace mer::storage {

class AnnIndex;

struct OpenOptions {
  // Create the directory and the column families when missing. Default: true
  bool create_if_missing = true;
  // Open read-only: a snapshot of what was on disk at open time. Default: false
  bool read_only = false;
  // Non-empty: open as a RocksDB secondary instance keeping its own files
  // here; it follows a live writer through CatchUp(). Default: ""
  std::string secondary_path;
  // fsync the WAL on every Write (survives power loss, not just a process
  // crash). Default: false
  bool sync_writes = false;
  // Block cache for reads, in MiB. Default: 64
  size_t block_cache_mib = 64;

  core::Status Validate() const;
};

class EmotionIndex {
 public:
  static constexpr int kSchemaVersion = 1;

  // One query result. `score` is what the query orders by: confidence for
  // TopByMood and Box, Euclidean V-A distance for NearestVa, cosine
  // similarity for Similar, the tag score for TopByTag.
  struct Hit {
    std::string track_id;
    float valence = 0;
    float arousal = 0;
    float confidence = 0;
    core::Quadrant quadrant = core::Quadrant::kHappy;
    float score = 0;
    bool operator==(const Hit&) const = default;
  };

  ~EmotionIndex();
  EmotionIndex(const EmotionIndex&) = delete;
  EmotionIndex& operator=(const EmotionIndex&) = delete;

  // Opens (or creates) the index in `dir`. Errors name the directory.
  static core::Result<std::unique_ptr<EmotionIndex>> Open(
      const std::string& dir, const OpenOptions& options = {});

  // First call on an empty index records `id`. Later calls: the same model id
  // and front-end digest -> OK; a different one -> InvalidArgument naming
  // both, unless `reindex`. With `reindex` the new identity replaces the old
  // and every track, embedding, secondary key, failure and the ANN files are
  // DROPPED (not kept as stale: results of two models are not comparable, and
  // the job re-analyses every file anyway). Caller meta entries are kept.
  core::Status CheckIdentity(const IndexIdentity& id, bool reindex);
  core::Result<std::optional<IndexIdentity>> GetIdentity() const;

  // Writes `tracks` and `failures` in one WriteBatch. A track replaces its
  // previous record and secondary keys and removes its failure record. A
  // failure for an id that is also in `tracks` is ignored (the result wins);
  // a failure for an id already indexed keeps the indexed track. When an id
  // appears twice in one list, the last one wins. Validates everything before
  // writing anything.
  core::Status Write(const std::vector<TrackResult>& tracks,
                     const std::vector<FailureRecord>& failures);
  // Removes a track's record, embedding, secondary keys and failure record.
  // Deleting an id that is not there is not an error.
  core::Status Delete(const std::string& track_id);

  core::Result<std::optional<TrackResult>> GetTrack(
      const std::string& id) const;
  core::Result<std::optional<FailureRecord>> GetFailure(
      const std::string& id) const;
  // Fingerprint and model id of an indexed track, for skip decisions.
  core::Result<std::optional<std::pair<Fingerprint, std::string>>>
  GetFingerprint(const std::string& id) const;

  // Tracks whose argmax quadrant is `q` and confidence >= min_confidence,
  // by confidence descending (ties by id), at most `limit`.
  core::Result<std::vector<Hit>> TopByMood(core::Quadrant q, size_t limit,
                                           float min_confidence) const;
  // The exact k nearest tracks to (v, a) in Euclidean V-A distance, nearest
  // first, ties by id.
  core::Result<std::vector<Hit>> NearestVa(float v, float a, size_t k) const;
  // Every track with v0 <= V <= v1 and a0 <= A <= a1 (bounds inclusive,
  // exact on the stored floats), sorted by id.
  core::Result<std::vector<Hit>> Box(float v0, float v1, float a0,
                                     float a1) const;
  // Tracks carrying `tag`, by tag score descending (ties by id).
  core::Result<std::vector<Hit>> TopByTag(const std::string& tag,
                                          size_t limit) const;
  // The k tracks most similar to `id` by cosine of embeddings, excluding
  // `id` itself, best first (ties by id for the exact scan). Uses
  // <dir>/embeddings.hnsw when it covers the current embeddings (BuildAnn
  // since the last change), else an exact scan. NotFound when `id` has no
  // embedding.
  core::Result<std::vector<Hit>> Similar(const std::string& id, size_t k) const;
  // Same, from a query vector (e.g. of a file that is not indexed).
  core::Result<std::vector<Hit>> SimilarTo(const std::vector<float>& embedding,
                                           size_t k) const;
  // Exact scan only (ignores the ANN files): the reference for recall.
  core::Result<std::vector<Hit>> SimilarExact(
      const std::vector<float>& embedding, size_t k,
      std::string_view exclude_id = {}) const;

  // Builds <dir>/embeddings.hnsw over every embedding and records in meta
  // the embedding generation and count it covers. Primary only.
  core::Status BuildAnn();
  // True when the ANN files cover the current embeddings.
  core::Result<bool> AnnIsFresh() const;

  core::Result<std::vector<FailureRecord>> Failures() const;
  core::Result<IndexStats> Stats() const;
  // Streams every track (with its embedding) in id order until fn is false.
  core::Status ForEachTrack(
      const std::function<bool(const TrackResult&)>& fn) const;
  // Streams every track id in order (reads keys only), until fn is false;
  // with `after`, only the ids after it.
  core::Status ForEachTrackId(const std::function<bool(std::string_view)>& fn,
                              std::string_view after = {}) const;

  // Caller entries of the meta column family (job manifests, ...). Names
  // starting with "mer." are reserved: InvalidArgument.
  core::Status PutMeta(const std::string& name, const std::string& value);
  core::Result<std::optional<std::string>> GetMeta(
      const std::string& name) const;

  // Secondary instance: catch up with the primary's writes. Primary: no-op.
  // Read-only: NotSupported (reopen to see new data).
  core::Status CatchUp();

  // Full audit: every track's secondary keys exist and carry the record's
  // values, there are no other secondary keys, every embedding has a track,
  // and the counters equal a recount. Corruption says what disagrees.
  // Reads the whole index: for tests and `mer index --check`.
  core::Status CheckConsistency() const;

  const std::string& dir() const;

  struct Rep;  // RocksDB state (storage/emotion_index_rep.h)
  explicit EmotionIndex(std::unique_ptr<Rep> rep);  // use Open()

 private:
  // The loaded ANN graph when it covers the current embeddings, else null.
  core::Result<std::shared_ptr<const AnnIndex>> FreshAnn() const;

  std::unique_ptr<Rep> rep_;
};

}  // namespace mer::storage

#endif  // MER_STORAGE_EMOTION_INDEX_H_
