// The RocksDB state behind EmotionIndex, shared by its implementation files
// (emotion_index.cc: open, writes, lookups; emotion_index_query.cc: queries;
// emotion_index_check.cc: the consistency audit). Internal to mer_storage.
#ifndef MER_STORAGE_EMOTION_INDEX_REP_H_
#define MER_STORAGE_EMOTION_INDEX_REP_H_

#include <rocksdb/db.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/core/result.h"
#include "proto/index_records.pb.h"
#include "storage/ann_index.h"
#include "storage/emotion_index.h"

namespace mer::storage {

// Column families, in the order of their handles.
enum Cf : int {
  kCfDefault = 0,  // unused; RocksDB requires it
  kCfTracks,
  kCfEmbeddings,
  kCfByQuadrant,
  kCfByVa,
  kCfByTag,
  kCfFailures,
  kCfMeta,
  kNumCfs
};
extern const std::array<const char*, kNumCfs> kCfNames;

// Reserved meta names.
inline constexpr char kMetaSchemaVersion[] = "mer.schema_version";
inline constexpr char kMetaModelId[] = "mer.model_id";
inline constexpr char kMetaFrontEndDigest[] = "mer.front_end_digest";
inline constexpr char kMetaFrontEndJson[] = "mer.front_end_json";
inline constexpr char kMetaCounters[] = "mer.counters";
inline constexpr char kMetaAnn[] = "mer.ann";

// RocksDB status -> core::Status naming what was being done.
core::Status FromRocks(const rocksdb::Status& s, std::string_view what);

struct CfHandleDeleter {
  rocksdb::DB* db = nullptr;
  void operator()(rocksdb::ColumnFamilyHandle* h) const {
    if (db != nullptr) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
};
using CfHandle = std::unique_ptr<rocksdb::ColumnFamilyHandle, CfHandleDeleter>;

struct EmotionIndex::Rep {
  enum class Mode { kPrimary, kReadOnly, kSecondary };

  std::string dir;
  OpenOptions options;
  Mode mode = Mode::kPrimary;
  // Declaration order matters: handles are destroyed before the database.
  std::unique_ptr<rocksdb::DB> db;
  std::array<CfHandle, kNumCfs> cf;

  // Serialises writers (Write, Delete, CheckIdentity, PutMeta, BuildAnn).
  std::mutex write_mu;

  // The ANN graph last loaded by Similar; guarded by ann_mu.
  mutable std::mutex ann_mu;
  mutable std::shared_ptr<const AnnIndex> ann;

  rocksdb::ColumnFamilyHandle* h(Cf c) const { return cf[c].get(); }

  // Reads a value; nullopt when absent.
  core::Result<std::optional<std::string>> Get(Cf c,
                                               std::string_view key) const;
  // The counters in meta (zeros when absent).
  core::Result<proto::IndexCounters> ReadCounters() const;
  // AnnManifest in meta, if any.
  core::Result<std::optional<proto::AnnManifest>> ReadAnnManifest() const;
  core::Status RequireWritable(std::string_view what) const;
  // An iterator over `c`, bounded above by `upper_bound` when non-empty.
  struct Iter {
    std::string bound;
    rocksdb::Slice bound_slice;
    rocksdb::ReadOptions read_options;
    std::unique_ptr<rocksdb::Iterator> it;
    void Seek(std::string_view key) {
      it->Seek(rocksdb::Slice(key.data(), key.size()));
    }
    void SeekToFirst() { it->SeekToFirst(); }
    bool Valid() const { return it->Valid(); }
    void Next() { it->Next(); }
    rocksdb::Slice key() const { return it->key(); }
    rocksdb::Slice value() const { return it->value(); }
    rocksdb::Status status() const { return it->status(); }
  };
  std::unique_ptr<Iter> NewIterator(Cf c, std::string upper_bound = {}) const;
};

}  // namespace mer::storage

#endif  // MER_STORAGE_EMOTION_INDEX_REP_H_
