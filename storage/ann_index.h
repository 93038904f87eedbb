// AnnIndex: an hnswlib graph over the track embeddings, for approximate
// cosine neighbours (DESIGN.md §6). Two files in the index directory:
//   embeddings.hnsw      the hnswlib graph (inner product on unit vectors)
//   embeddings.hnsw.ids  label -> track id, plus the embedding generation the
//                        graph covers (so a graph is never paired with the
//                        id list of another build)
// Both are written through core::AtomicFile (temp file, fsync, rename),
// the graph first; integers in the id list are little-endian.
//
// Ownership: owns the graph. Thread-safety: Search() may run concurrently
// from many threads; Build/Load produce a new object.
#ifndef MER_STORAGE_ANN_INDEX_H_
#define MER_STORAGE_ANN_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/core/result.h"

namespace mer::storage {

struct AnnBuildOptions {
  size_t m = 16;                 // graph degree. Default: 16
  size_t ef_construction = 200;  // build-time beam. Default: 200
  size_t ef_search = 128;        // query-time beam (at least k). Default: 128
  // Threads inserting into the graph; 0 = one per hardware thread. Default: 0
  size_t threads = 0;
  core::Status Validate() const;
};

class AnnIndex {
 public:
  ~AnnIndex();
  AnnIndex(const AnnIndex&) = delete;
  AnnIndex& operator=(const AnnIndex&) = delete;

  // Calls its argument once per (track id, embedding) in the index.
  using Source = std::function<core::Status(
      const std::function<void(std::string_view, const std::vector<float>&)>&)>;

  // Builds from `source` (count vectors of dimension dim) and writes the two
  // files into `dir`.
  static core::Status Build(const std::string& dir, uint32_t dim,
                            uint64_t count, uint64_t generation,
                            const Source& source,
                            const AnnBuildOptions& options = {});
  // Loads the files of `dir`; Corruption when they disagree.
  static core::Result<std::unique_ptr<AnnIndex>> Load(
      const std::string& dir, uint32_t dim,
      const AnnBuildOptions& options = {});
  static void Remove(const std::string& dir);  // deletes both files if present

  uint64_t generation() const { return generation_; }
  size_t size() const { return ids_.size(); }
  uint32_t dim() const { return dim_; }

  // Up to k (track id, cosine similarity) pairs, best first. `query` is
  // normalised here.
  std::vector<std::pair<std::string, float>> Search(
      const std::vector<float>& query, size_t k) const;

 private:
  struct Graph;
  struct Token {};  // only Load() constructs

 public:
  explicit AnnIndex(Token);

 private:
  std::unique_ptr<Graph> graph_;
  std::vector<std::string> ids_;  // label -> track id
  uint64_t generation_ = 0;
  uint32_t dim_ = 0;
};

}  // namespace mer::storage

#endif  // MER_STORAGE_ANN_INDEX_H_
