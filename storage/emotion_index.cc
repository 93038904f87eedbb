// EmotionIndex: opening, identity, writes and point lookups. Queries are in
// emotion_index_query.cc, the consistency audit in emotion_index_check.cc.
#include "storage/emotion_index.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "storage/emotion_index_rep.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_logger.h"

namespace mer::storage {

const std::array<const char*, kNumCfs> kCfNames = {
    rocksdb::kDefaultColumnFamilyName.c_str(),
    "tracks",
    "embeddings",
    "by_quadrant",
    "by_va",
    "by_tag",
    "failures",
    "meta"};

core::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return core::Status::Ok();
  const std::string why = s.ToString();
  if (s.IsNotFound()) return core::Status::NotFound(what, why);
  if (s.IsNoSpace() || why.find("No space left") != std::string::npos) {
    return core::Status::IOError(what, "no space left on the device");
  }
  if (s.IsCorruption()) return core::Status::Corruption(what, why);
  if (s.IsIOError()) return core::Status::IOError(what, why);
  if (s.IsInvalidArgument()) return core::Status::InvalidArgument(what, why);
  if (s.IsNotSupported()) return core::Status::NotSupported(what, why);
  return core::Status::Internal(what, why);
}

core::Status OpenOptions::Validate() const {
  if (read_only && !secondary_path.empty()) {
    return core::Status::InvalidArgument(
        "OpenOptions", "read_only and secondary_path exclude each other");
  }
  if (block_cache_mib == 0) {
    return core::Status::InvalidArgument("OpenOptions.block_cache_mib",
                                         "must be > 0");
  }
  return core::Status::Ok();
}

// ---- Rep ----

core::Result<std::optional<std::string>> EmotionIndex::Rep::Get(
    Cf c, std::string_view key) const {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), h(c),
                              rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) {
    return FromRocks(
        s, dir + ": read " + kCfNames[c] + " '" + std::string(key) + "'");
  }
  return std::optional<std::string>(value.ToString());
}

core::Result<proto::IndexCounters> EmotionIndex::Rep::ReadCounters() const {
  MER_ASSIGN_OR_RETURN(auto bytes, Get(kCfMeta, kMetaCounters));
  proto::IndexCounters c;
  if (bytes && !c.ParseFromString(*bytes)) {
    return core::Status::Corruption(dir, "meta counters unreadable");
  }
  while (c.per_quadrant_size() < core::kNumQuadrants) c.add_per_quadrant(0);
  return c;
}

core::Result<std::optional<proto::AnnManifest>>
EmotionIndex::Rep::ReadAnnManifest() const {
  MER_ASSIGN_OR_RETURN(auto bytes, Get(kCfMeta, kMetaAnn));
  if (!bytes) return std::optional<proto::AnnManifest>();
  proto::AnnManifest m;
  if (!m.ParseFromString(*bytes)) {
    return core::Status::Corruption(dir, "meta ANN manifest unreadable");
  }
  return std::optional<proto::AnnManifest>(std::move(m));
}

core::Status EmotionIndex::Rep::RequireWritable(std::string_view what) const {
  if (mode == Mode::kPrimary) return core::Status::Ok();
  return core::Status::NotSupported(
      std::string(what) + " on index " + dir,
      mode == Mode::kReadOnly ? "opened read-only" : "opened as a secondary");
}

std::unique_ptr<EmotionIndex::Rep::Iter> EmotionIndex::Rep::NewIterator(
    Cf c, std::string upper_bound) const {
  auto iter = std::make_unique<Iter>();
  iter->bound = std::move(upper_bound);
  if (!iter->bound.empty()) {
    iter->bound_slice = rocksdb::Slice(iter->bound);
    iter->read_options.iterate_upper_bound = &iter->bound_slice;
  }
  iter->it.reset(db->NewIterator(iter->read_options, h(c)));
  return iter;
}

// ---- open ----

EmotionIndex::EmotionIndex(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
EmotionIndex::~EmotionIndex() = default;

const std::string& EmotionIndex::dir() const { return rep_->dir; }

core::Result<std::unique_ptr<EmotionIndex>> EmotionIndex::Open(
    const std::string& dir, const OpenOptions& options) {
  MER_RETURN_IF_ERROR(options.Validate());
  auto rep = std::make_unique<Rep>();
  rep->dir = dir;
  rep->options = options;
  rep->mode = options.read_only                 ? Rep::Mode::kReadOnly
              : !options.secondary_path.empty() ? Rep::Mode::kSecondary
                                                : Rep::Mode::kPrimary;
  const bool primary = rep->mode == Rep::Mode::kPrimary;
  if (!primary &&
      !std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) {
    return core::Status::NotFound("index " + dir, "no RocksDB database there");
  }
  if (primary && options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return core::Status::IOError(dir, ec.message());
  }

  rocksdb::Options db_options;
  db_options.create_if_missing = primary && options.create_if_missing;
  db_options.create_missing_column_families = primary;
  db_options.IncreaseParallelism(
      static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  if (rep->mode == Rep::Mode::kSecondary) db_options.max_open_files = -1;
  // No LOG file next to the data (rocksdb_logger.h says why).
  db_options.info_log = NewSpdlogRocksLogger();

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_mib << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kCfNames) descriptors.emplace_back(name, cf_options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  switch (rep->mode) {
    case Rep::Mode::kPrimary:
      s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
      break;
    case Rep::Mode::kReadOnly:
      s = rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &handles,
                                       &raw);
      break;
    case Rep::Mode::kSecondary:
      s = rocksdb::DB::OpenAsSecondary(db_options, dir, options.secondary_path,
                                       descriptors, &handles, &raw);
      break;
  }
  rep->db.reset(raw);  // owned from here on, also on the error paths below
  for (size_t i = 0; i < handles.size() && i < kNumCfs; ++i) {
    rep->cf[i] = CfHandle(handles[i], CfHandleDeleter{raw});
  }
  if (!s.ok() && rep->mode == Rep::Mode::kPrimary && s.IsIOError() &&
      s.ToString().find("lock") != std::string::npos) {
    // RocksDB's "While lock file: DIR/LOCK: Resource temporarily
    // unavailable": another writer holds the index.
    return core::Status::IOError(
        "index " + dir,
        "in use by another writer (another mer index job?): its LOCK is "
        "held; wait for that job or pick another --index");
  }
  if (!s.ok()) return FromRocks(s, "open index " + dir);
  if (handles.size() != kNumCfs) {
    return core::Status::Internal("open index " + dir, "column family count");
  }

  MER_ASSIGN_OR_RETURN(auto version, rep->Get(kCfMeta, kMetaSchemaVersion));
  if (!version) {
    if (!primary) {
      return core::Status::NotFound("index " + dir, "no schema version");
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    MER_RETURN_IF_ERROR(
        FromRocks(rep->db->Put(wo, rep->h(kCfMeta), kMetaSchemaVersion,
                               std::to_string(kSchemaVersion)),
                  "index " + dir + ": write schema version"));
  } else if (*version != std::to_string(kSchemaVersion)) {
    return core::Status::NotSupported(
        "index " + dir, "schema version " + *version + ", this build reads " +
                            std::to_string(kSchemaVersion));
  }
  return std::make_unique<EmotionIndex>(std::move(rep));
}

// ---- identity ----

core::Result<std::optional<IndexIdentity>> EmotionIndex::GetIdentity() const {
  MER_ASSIGN_OR_RETURN(auto model, rep_->Get(kCfMeta, kMetaModelId));
  if (!model) return std::optional<IndexIdentity>();
  IndexIdentity id;
  id.model_id = *model;
  MER_ASSIGN_OR_RETURN(auto digest, rep_->Get(kCfMeta, kMetaFrontEndDigest));
  MER_ASSIGN_OR_RETURN(auto json, rep_->Get(kCfMeta, kMetaFrontEndJson));
  id.front_end_digest = digest.value_or("");
  id.front_end_json = json.value_or("");
  return std::optional<IndexIdentity>(std::move(id));
}

namespace {

// Deletes every key of a column family within `batch`: one range tombstone
// for keys below "\xff", single deletes for the (rare) keys at or above it.
core::Status DeleteAll(EmotionIndex::Rep& rep, Cf c,
                       rocksdb::WriteBatch* batch) {
  const std::string top(1, '\xff');
  MER_RETURN_IF_ERROR(
      FromRocks(batch->DeleteRange(rep.h(c), "", top), "drop " + rep.dir));
  auto it = rep.NewIterator(c);
  for (it->Seek(top); it->Valid(); it->Next()) {
    MER_RETURN_IF_ERROR(
        FromRocks(batch->Delete(rep.h(c), it->key()), "drop " + rep.dir));
  }
  return FromRocks(it->status(), "drop " + rep.dir);
}

std::string Describe(const IndexIdentity& id) {
  return "model '" + id.model_id + "' (front end " + id.front_end_digest + ")";
}

}  // namespace

core::Status EmotionIndex::CheckIdentity(const IndexIdentity& id,
                                         bool reindex) {
  MER_RETURN_IF_ERROR(rep_->RequireWritable("CheckIdentity"));
  if (id.model_id.empty()) {
    return core::Status::InvalidArgument("index identity", "empty model id");
  }
  std::lock_guard<std::mutex> lock(rep_->write_mu);
  MER_ASSIGN_OR_RETURN(auto old, GetIdentity());
  const bool same = old && old->model_id == id.model_id &&
                    old->front_end_digest == id.front_end_digest;
  if (same) return core::Status::Ok();
  rocksdb::WriteBatch batch;
  if (old) {
    if (!reindex) {
      MER_ASSIGN_OR_RETURN(proto::IndexCounters counters, rep_->ReadCounters());
      return core::Status::InvalidArgument(
          "index " + rep_->dir,
          "built with " + Describe(*old) + ", this job uses " + Describe(id) +
              "; reindex to drop its " + std::to_string(counters.tracks()) +
              " tracks and rebuild");
    }
    spdlog::warn("index {}: reindex: dropping results of {}, now {}", rep_->dir,
                 Describe(*old), Describe(id));
    for (Cf c : {kCfTracks, kCfEmbeddings, kCfByQuadrant, kCfByVa, kCfByTag,
                 kCfFailures}) {
      MER_RETURN_IF_ERROR(DeleteAll(*rep_, c, &batch));
    }
    batch.Delete(rep_->h(kCfMeta), kMetaAnn);
    proto::IndexCounters zero;
    for (int q = 0; q < core::kNumQuadrants; ++q) zero.add_per_quadrant(0);
    batch.Put(rep_->h(kCfMeta), kMetaCounters, zero.SerializeAsString());
  }
  batch.Put(rep_->h(kCfMeta), kMetaModelId, id.model_id);
  batch.Put(rep_->h(kCfMeta), kMetaFrontEndDigest, id.front_end_digest);
  batch.Put(rep_->h(kCfMeta), kMetaFrontEndJson, id.front_end_json);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  MER_RETURN_IF_ERROR(FromRocks(rep_->db->Write(wo, &batch),
                                "index " + rep_->dir + ": record identity"));
  if (old) {
    AnnIndex::Remove(rep_->dir);
    std::lock_guard<std::mutex> ann_lock(rep_->ann_mu);
    rep_->ann.reset();
  }
  return core::Status::Ok();
}

// ---- meta ----

core::Status EmotionIndex::PutMeta(const std::string& name,
                                   const std::string& value) {
  MER_RETURN_IF_ERROR(rep_->RequireWritable("PutMeta"));
  if (name.empty() || name.rfind("mer.", 0) == 0) {
    return core::Status::InvalidArgument("meta name '" + name + "'",
                                         "empty or reserved (mer.*)");
  }
  std::lock_guard<std::mutex> lock(rep_->write_mu);
  rocksdb::WriteOptions wo;
  wo.sync = rep_->options.sync_writes;
  return FromRocks(rep_->db->Put(wo, rep_->h(kCfMeta), name, value),
                   "index " + rep_->dir + ": write meta " + name);
}

core::Result<std::optional<std::string>> EmotionIndex::GetMeta(
    const std::string& name) const {
  return rep_->Get(kCfMeta, name);
}

core::Status EmotionIndex::CatchUp() {
  switch (rep_->mode) {
    case Rep::Mode::kPrimary:
      return core::Status::Ok();
    case Rep::Mode::kReadOnly:
      return core::Status::NotSupported("catch up on index " + rep_->dir,
                                        "opened read-only; reopen it");
    case Rep::Mode::kSecondary:
      break;
  }
  return FromRocks(rep_->db->TryCatchUpWithPrimary(),
                   "catch up with index " + rep_->dir);
}

}  // namespace mer::storage
