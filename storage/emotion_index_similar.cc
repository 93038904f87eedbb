// EmotionIndex: similar tracks by embedding (cosine), through the hnswlib
// graph when it covers the current embeddings, else by an exact scan.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <queue>

#include "storage/emotion_index.h"
#include "storage/emotion_index_rep.h"
#include "storage/record_codec.h"

namespace mer::storage {
namespace {

using Hit = EmotionIndex::Hit;

struct Scored {
  double score;
  std::string id;
  // Better first: higher score, then smaller id.
  bool operator<(const Scored& o) const {
    return score != o.score ? score > o.score : id < o.id;
  }
};

// Cosine of a and b, accumulated in double in index order.
double Cosine(const std::vector<float>& a, const float* b, size_t n) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na <= 0 || nb <= 0) return 0;
  return dot / (std::sqrt(na) * std::sqrt(nb));
}

// Hits for (id, score) pairs, reading V, A and confidence from the records.
core::Result<std::vector<Hit>> HitsFor(
    const EmotionIndex::Rep& rep,
    const std::vector<std::pair<std::string, float>>& scored) {
  std::vector<Hit> out;
  for (const auto& [id, score] : scored) {
    MER_ASSIGN_OR_RETURN(auto bytes, rep.Get(kCfTracks, id));
    if (!bytes) continue;  // deleted since the ANN build
    MER_ASSIGN_OR_RETURN(proto::TrackRecord r,
                         codec::ParseTrackRecord(id, *bytes));
    keys::HitValue v = codec::HitOf(r);
    out.push_back(
        Hit{id, v.valence, v.arousal, v.confidence, v.quadrant, score});
  }
  return out;
}

}  // namespace

core::Result<std::vector<Hit>> EmotionIndex::SimilarExact(
    const std::vector<float>& query, size_t k,
    std::string_view exclude_id) const {
  std::vector<std::pair<std::string, float>> best;
  if (k == 0 || query.empty()) return std::vector<Hit>();
  std::priority_queue<Scored> heap;  // top() is the worst of the best k
  auto it = rep_->NewIterator(kCfEmbeddings);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key(), value = it->value();
    if (key.ToStringView() == exclude_id) continue;
    if (value.size() != query.size() * sizeof(float)) {
      return core::Status::InvalidArgument(
          "similarity query", "vector has " + std::to_string(query.size()) +
                                  " values, embeddings have " +
                                  std::to_string(value.size() / sizeof(float)));
    }
    std::vector<float> e(query.size());
    std::memcpy(e.data(), value.data(), value.size());
    Scored s{Cosine(query, e.data(), e.size()), key.ToString()};
    if (heap.size() < k) {
      heap.push(std::move(s));
    } else if (s < heap.top()) {
      heap.pop();
      heap.push(std::move(s));
    }
  }
  MER_RETURN_IF_ERROR(
      FromRocks(it->status(), "embedding scan of " + rep_->dir));
  best.resize(heap.size());
  for (size_t i = heap.size(); i-- > 0; heap.pop()) {
    best[i] = {heap.top().id, static_cast<float>(heap.top().score)};
  }
  return HitsFor(*rep_, best);
}

core::Result<std::vector<Hit>> EmotionIndex::Similar(const std::string& id,
                                                     size_t k) const {
  MER_ASSIGN_OR_RETURN(auto bytes, rep_->Get(kCfEmbeddings, id));
  if (!bytes) {
    return core::Status::NotFound("track '" + id + "'",
                                  "not indexed or has no embedding");
  }
  MER_ASSIGN_OR_RETURN(std::vector<float> query,
                       codec::DecodeEmbedding(id, *bytes));
  MER_ASSIGN_OR_RETURN(auto ann, FreshAnn());
  if (!ann) return SimilarExact(query, k, id);
  auto found = ann->Search(query, k + 1);
  std::erase_if(found, [&](const auto& p) { return p.first == id; });
  if (found.size() > k) found.resize(k);
  return HitsFor(*rep_, found);
}

core::Result<std::vector<Hit>> EmotionIndex::SimilarTo(
    const std::vector<float>& embedding, size_t k) const {
  MER_ASSIGN_OR_RETURN(auto ann, FreshAnn());
  if (!ann || ann->dim() != embedding.size()) {
    return SimilarExact(embedding, k);
  }
  return HitsFor(*rep_, ann->Search(embedding, k));
}

core::Result<std::shared_ptr<const AnnIndex>> EmotionIndex::FreshAnn() const {
  std::shared_ptr<const AnnIndex> none;
  MER_ASSIGN_OR_RETURN(auto manifest, rep_->ReadAnnManifest());
  MER_ASSIGN_OR_RETURN(proto::IndexCounters counters, rep_->ReadCounters());
  if (!manifest ||
      manifest->embedding_generation() != counters.embedding_generation() ||
      manifest->dim() != counters.embedding_dim()) {
    return none;  // stale or never built
  }
  std::lock_guard<std::mutex> lock(rep_->ann_mu);
  if (rep_->ann &&
      rep_->ann->generation() == manifest->embedding_generation()) {
    return rep_->ann;
  }
  rep_->ann.reset();
  auto loaded = AnnIndex::Load(rep_->dir, manifest->dim());
  if (!loaded.ok() ||
      (*loaded)->generation() != manifest->embedding_generation()) {
    spdlog::warn("index {}: ANN files unusable ({}); exact scan instead",
                 rep_->dir,
                 loaded.ok() ? "generation differs from meta"
                             : loaded.status().ToString());
    return none;
  }
  rep_->ann = std::move(*loaded);
  return rep_->ann;
}

core::Status EmotionIndex::BuildAnn() {
  MER_RETURN_IF_ERROR(rep_->RequireWritable("BuildAnn"));
  std::lock_guard<std::mutex> lock(rep_->write_mu);
  MER_ASSIGN_OR_RETURN(proto::IndexCounters counters, rep_->ReadCounters());
  // Count the embeddings (tracks may lack one) under the writer lock: nothing
  // changes between the count, the build and the manifest.
  uint64_t count = 0;
  {
    auto it = rep_->NewIterator(kCfEmbeddings);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
    MER_RETURN_IF_ERROR(FromRocks(it->status(), "count embeddings"));
  }
  proto::AnnManifest manifest;
  manifest.set_embedding_generation(counters.embedding_generation());
  manifest.set_count(count);
  manifest.set_dim(counters.embedding_dim());
  manifest.set_built_at_unix(static_cast<int64_t>(std::time(nullptr)));
  if (count == 0 || counters.embedding_dim() == 0) {
    AnnIndex::Remove(rep_->dir);
  } else {
    auto source = [&](const std::function<void(
                          std::string_view, const std::vector<float>&)>& sink)
        -> core::Status {
      auto it = rep_->NewIterator(kCfEmbeddings);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        MER_ASSIGN_OR_RETURN(
            std::vector<float> v,
            codec::DecodeEmbedding(it->key().ToStringView(),
                                   it->value().ToStringView()));
        sink(it->key().ToStringView(), v);
      }
      return FromRocks(it->status(), "embedding scan of " + rep_->dir);
    };
    MER_RETURN_IF_ERROR(AnnIndex::Build(rep_->dir, counters.embedding_dim(),
                                        count, counters.embedding_generation(),
                                        source));
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = count == 0
                          ? rep_->db->Delete(wo, rep_->h(kCfMeta), kMetaAnn)
                          : rep_->db->Put(wo, rep_->h(kCfMeta), kMetaAnn,
                                          manifest.SerializeAsString());
  MER_RETURN_IF_ERROR(
      FromRocks(s, "index " + rep_->dir + ": record ANN manifest"));
  spdlog::info("index {}: ANN graph over {} embeddings (dim {})", rep_->dir,
               count, counters.embedding_dim());
  return core::Status::Ok();
}

}  // namespace mer::storage
