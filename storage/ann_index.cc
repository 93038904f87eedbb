#include "storage/ann_index.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/core/atomic_file.h"
#include "common/core/coding.h"

namespace mer::storage {
namespace {

constexpr char kGraphFile[] = "embeddings.hnsw";
constexpr char kIdsFile[] = "embeddings.hnsw.ids";
constexpr char kIdsMagic[8] = {'M', 'E', 'R', 'A', 'N', 'N', '1', '\n'};

std::string PathIn(const std::string& dir, const char* name) {
  return (std::filesystem::path(dir) / name).string();
}

void Normalise(std::vector<float>* v) {
  double sum = 0;
  for (float x : *v) sum += static_cast<double>(x) * x;
  if (sum <= 0) return;
  float inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : *v) x *= inv;
}

bool GetU64(std::istream& in, uint64_t* v) {
  char b[8];
  if (!in.read(b, 8)) return false;
  *v = core::DecodeFixed64(b);
  return true;
}

}  // namespace

struct AnnIndex::Graph {
  explicit Graph(uint32_t dim) : space(dim) {}
  hnswlib::InnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw;
};

AnnIndex::AnnIndex(Token) {}
AnnIndex::~AnnIndex() = default;

core::Status AnnBuildOptions::Validate() const {
  if (m < 2 || m > 256) {
    return core::Status::InvalidArgument("AnnBuildOptions.m",
                                         "must be in [2, 256]");
  }
  if (ef_construction < m || ef_search == 0) {
    return core::Status::InvalidArgument(
        "AnnBuildOptions", "ef_construction must be >= m and ef_search > 0");
  }
  return core::Status::Ok();
}

namespace {

// Adds the unit vectors of `block` ([n][dim]) with labels first, first + 1,
// ... using `threads` threads. Throws what hnswlib threw.
void AddBlock(hnswlib::HierarchicalNSW<float>& hnsw,
              const std::vector<float>& block, uint32_t dim, uint64_t first,
              size_t threads) {
  const size_t n = block.size() / dim;
  std::atomic<size_t> next{0};
  std::mutex error_mu;
  std::string error;  // guarded by error_mu
  auto work = [&]() {
    for (size_t i; (i = next++) < n;) {
      try {
        hnsw.addPoint(block.data() + i * dim, first + i);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mu);
        error = e.what();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::min(threads, n); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (!error.empty()) throw std::runtime_error(error);
}

}  // namespace

core::Status AnnIndex::Build(const std::string& dir, uint32_t dim,
                             uint64_t count, uint64_t generation,
                             const Source& source,
                             const AnnBuildOptions& options) {
  MER_RETURN_IF_ERROR(options.Validate());
  if (dim == 0)
    return core::Status::InvalidArgument("ANN build", "dimension 0");
  const std::string graph_path = PathIn(dir, kGraphFile);
  const std::string ids_path = PathIn(dir, kIdsFile);
  try {
    Graph graph(dim);
    graph.hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &graph.space, std::max<uint64_t>(count, 1), options.m,
        options.ef_construction);
    MER_ASSIGN_OR_RETURN(core::AtomicFile ids_file,
                         core::AtomicFile::Create(ids_path));
    std::string ids(kIdsMagic, sizeof(kIdsMagic));
    core::PutFixed64(&ids, generation);
    core::PutFixed64(&ids, count);
    uint64_t label = 0;
    core::Status bad;
    // Vectors are inserted in blocks, each block by several threads
    // (hnswlib's addPoint is thread-safe); ids are written in label order.
    const size_t threads =
        options.threads ? options.threads
                        : std::max(1u, std::thread::hardware_concurrency());
    constexpr size_t kBlock = 8192;
    std::vector<float> block;
    uint64_t block_first = 0;
    auto flush = [&]() {
      AddBlock(*graph.hnsw, block, dim, block_first, threads);
      block.clear();
      block_first = label;
    };
    MER_RETURN_IF_ERROR(source([&](std::string_view id,
                                   const std::vector<float>& v) {
      if (!bad.ok()) return;
      if (v.size() != dim || label >= count) {
        bad = core::Status::Corruption(
            "ANN build", "embedding of '" + std::string(id) +
                             "' does not match the recorded dimension/count");
        return;
      }
      const size_t at = block.size();
      block.insert(block.end(), v.begin(), v.end());
      std::vector<float> unit(block.begin() + at, block.end());
      Normalise(&unit);
      std::copy(unit.begin(), unit.end(), block.begin() + at);
      ++label;
      core::PutFixed64(&ids, id.size());
      ids.append(id);
      if (ids.size() >= (size_t{1} << 20) && bad.ok()) {
        bad = ids_file.Append(ids);
        ids.clear();
      }
      if (block.size() / dim == kBlock) flush();
    }));
    if (bad.ok() && !block.empty()) flush();
    MER_RETURN_IF_ERROR(bad);
    if (label != count) {
      return core::Status::Corruption(
          "ANN build", "expected " + std::to_string(count) +
                           " embeddings, read " + std::to_string(label));
    }
    MER_RETURN_IF_ERROR(ids_file.Append(ids));
    // hnswlib writes by file name: into the atomic file's temp file.
    MER_ASSIGN_OR_RETURN(core::AtomicFile graph_file,
                         core::AtomicFile::Create(graph_path));
    graph.hnsw->saveIndex(graph_file.temp_path());
    // The graph first: the id list carries the generation that says the
    // pair is fresh.
    MER_RETURN_IF_ERROR(graph_file.Commit());
    return ids_file.Commit();
  } catch (const std::exception& e) {
    return core::Status::Internal("hnswlib build in " + dir, e.what());
  }
}

core::Result<std::unique_ptr<AnnIndex>> AnnIndex::Load(
    const std::string& dir, uint32_t dim, const AnnBuildOptions& options) {
  const std::string graph_path = PathIn(dir, kGraphFile);
  const std::string ids_path = PathIn(dir, kIdsFile);
  auto ann = std::make_unique<AnnIndex>(Token{});
  ann->dim_ = dim;
  std::ifstream ids(ids_path, std::ios::binary);
  if (!ids) return core::Status::NotFound(ids_path, "cannot open");
  char magic[sizeof(kIdsMagic)];
  uint64_t count = 0;
  if (!ids.read(magic, sizeof(magic)) ||
      std::memcmp(magic, kIdsMagic, sizeof(magic)) != 0 ||
      !GetU64(ids, &ann->generation_) || !GetU64(ids, &count)) {
    return core::Status::Corruption(ids_path, "bad header");
  }
  ann->ids_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t len = 0;
    if (!GetU64(ids, &len) || len > (1u << 20)) {
      return core::Status::Corruption(ids_path, "truncated id list");
    }
    std::string id(len, '\0');
    if (!ids.read(id.data(), static_cast<std::streamsize>(len))) {
      return core::Status::Corruption(ids_path, "truncated id list");
    }
    ann->ids_.push_back(std::move(id));
  }
  try {
    ann->graph_ = std::make_unique<Graph>(dim);
    ann->graph_->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &ann->graph_->space, graph_path);
    ann->graph_->hnsw->setEf(options.ef_search);
  } catch (const std::exception& e) {
    return core::Status::Corruption(graph_path, e.what());
  }
  if (ann->graph_->hnsw->cur_element_count != count) {
    return core::Status::Corruption(graph_path,
                                    "element count differs from the id list");
  }
  return ann;
}

void AnnIndex::Remove(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove(PathIn(dir, kGraphFile), ec);
  std::filesystem::remove(PathIn(dir, kIdsFile), ec);
}

std::vector<std::pair<std::string, float>> AnnIndex::Search(
    const std::vector<float>& query, size_t k) const {
  std::vector<std::pair<std::string, float>> out;
  if (query.size() != dim_ || ids_.empty() || k == 0) return out;
  std::vector<float> unit = query;
  Normalise(&unit);
  auto heap = graph_->hnsw->searchKnn(unit.data(), std::min(k, ids_.size()));
  out.resize(heap.size());
  // The heap pops the farthest first: fill from the back.
  for (size_t i = heap.size(); i-- > 0;) {
    const auto& [dist, label] = heap.top();
    out[i] = {ids_[label], 1.0f - dist};
    heap.pop();
  }
  return out;
}

}  // namespace mer::storage
