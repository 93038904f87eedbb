#include "coordinator/catalogue_prune.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <queue>
#include <vector>

#include "coordinator/catalogue_source.h"

namespace mer::coordinator {
namespace fs = std::filesystem;
namespace {

// A sorted run on disk: u32 length + bytes per id.
class RunReader {
 public:
  explicit RunReader(const fs::path& path)
      : in_(path, std::ios::binary) {}
  bool Next(std::string* id) {
    uint32_t n = 0;
    if (!in_.read(reinterpret_cast<char*>(&n), sizeof n)) return false;
    id->resize(n);
    return static_cast<bool>(in_.read(id->data(), n));
  }

 private:
  std::ifstream in_;
};

// The catalogue's ids in byte order, without repeats.
class SortedIds {
 public:
  ~SortedIds() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  core::Status Build(const std::string& catalogue, const PruneOptions& o) {
    MER_ASSIGN_OR_RETURN(auto source, CatalogueSource::Open(catalogue));
    static std::atomic<int> counter{0};
    dir_ = fs::path(o.temp_dir.empty() ? fs::temp_directory_path().string()
                                       : o.temp_dir) /
           ("mer-prune-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter++));
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return core::Status::IOError(dir_.string(), ec.message());
    std::vector<std::string> run;
    auto flush = [&]() -> core::Status {
      std::sort(run.begin(), run.end());
      run.erase(std::unique(run.begin(), run.end()), run.end());
      const fs::path path = dir_ / ("run-" + std::to_string(runs_.size()));
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      for (const std::string& id : run) {
        const uint32_t n = static_cast<uint32_t>(id.size());
        out.write(reinterpret_cast<const char*>(&n), sizeof n);
        out.write(id.data(), n);
      }
      if (!out) return core::Status::IOError(path.string(), "write failed");
      runs_.push_back(path);
      run.clear();
      return core::Status::Ok();
    };
    while (auto item = source->Next()) {
      run.push_back(std::move(item->track_id));
      if (run.size() >= o.run_ids) MER_RETURN_IF_ERROR(flush());
    }
    MER_RETURN_IF_ERROR(source->status());
    if (!run.empty()) MER_RETURN_IF_ERROR(flush());
    return core::Status::Ok();
  }

  // Restarts the merged stream from the smallest id.
  void Rewind() {
    readers_.clear();
    heap_ = {};
    for (const fs::path& p : runs_) {
      readers_.push_back(std::make_unique<RunReader>(p));
      std::string id;
      if (readers_.back()->Next(&id)) heap_.push({std::move(id), readers_.size() - 1});
    }
    has_current_ = false;
    Advance();
  }

  // True when `id` is in the catalogue. Successive calls must pass ids in
  // non-decreasing byte order.
  bool Contains(std::string_view id) {
    while (has_current_ && current_ < id) Advance();
    return has_current_ && current_ == id;
  }

 private:
  struct Head {
    std::string id;
    size_t run;
    bool operator>(const Head& o) const { return id > o.id; }
  };
  void Advance() {
    if (heap_.empty()) {
      has_current_ = false;
      return;
    }
    Head h = heap_.top();
    heap_.pop();
    std::string next;
    if (readers_[h.run]->Next(&next)) heap_.push({std::move(next), h.run});
    current_ = std::move(h.id);
    has_current_ = true;
  }

  fs::path dir_;
  std::vector<fs::path> runs_;
  std::vector<std::unique_ptr<RunReader>> readers_;
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap_;
  std::string current_;
  bool has_current_ = false;
};

}  // namespace

core::Result<uint64_t> PruneIndex(storage::EmotionIndex& index,
                                  const std::string& catalogue,
                                  const PruneOptions& options) {
  SortedIds ids;
  MER_RETURN_IF_ERROR(ids.Build(catalogue, options));
  uint64_t deleted = 0;
  core::Status status;
  ids.Rewind();
  MER_RETURN_IF_ERROR(index.ForEachTrackId([&](std::string_view id) {
    if (ids.Contains(id)) return true;
    status = index.Delete(std::string(id));
    if (status.ok()) ++deleted;
    return status.ok();
  }));
  MER_RETURN_IF_ERROR(status);
  MER_ASSIGN_OR_RETURN(std::vector<storage::FailureRecord> failures,
                       index.Failures());
  std::sort(failures.begin(), failures.end(),
            [](const auto& a, const auto& b) { return a.track_id < b.track_id; });
  ids.Rewind();
  for (const storage::FailureRecord& f : failures) {
    if (ids.Contains(f.track_id)) continue;
    MER_RETURN_IF_ERROR(index.Delete(f.track_id));
    ++deleted;
  }
  return deleted;
}

}  // namespace mer::coordinator
