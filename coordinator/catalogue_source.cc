#include "coordinator/catalogue_source.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <system_error>

namespace mer::coordinator {
namespace fs = std::filesystem;

bool IsAudioPath(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (std::string_view e : kAudioExtensions) {
    if (ext == e) return true;
  }
  return false;
}

CatalogueSource::~CatalogueSource() = default;

core::Result<std::unique_ptr<CatalogueSource>> CatalogueSource::Open(
    const std::string& catalogue) {
  std::error_code ec;
  const fs::file_status st = fs::status(catalogue, ec);
  if (ec || !fs::exists(st)) {
    return core::Status::NotFound(catalogue, "no such file or directory");
  }
  std::unique_ptr<CatalogueSource> src(new CatalogueSource());
  if (fs::is_directory(st)) {
    src->root_ = fs::path(catalogue);
    src->canonical_root_ = fs::canonical(catalogue, ec);
    return src;
  }
  MER_ASSIGN_OR_RETURN(src->manifest_, core::CsvReader::Open(catalogue));
  src->path_column_ = src->manifest_->Column("path");
  src->id_column_ = src->manifest_->Column("track_id");
  if (src->path_column_ < 0) {
    return core::Status::InvalidArgument(
        catalogue,
        "a manifest needs a 'path' column (and optionally "
        "'track_id')");
  }
  src->root_ = fs::path(catalogue).parent_path();
  return src;
}

std::optional<WorkItem> CatalogueSource::Next() {
  if (!status_.ok()) return std::nullopt;
  return manifest_ ? NextFromManifest() : NextFromDirectory();
}

bool CatalogueSource::FirstVisit(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return true;  // the walk reports it
  return visited_dirs_.insert({st.st_dev, st.st_ino}).second;
}

bool CatalogueSource::FirstName(const fs::directory_entry& e) {
  std::error_code ec;
  if (e.is_symlink(ec)) {
    const fs::path target = fs::canonical(e.path(), ec);
    if (ec) return true;  // dangling: the worker reports it
    const fs::path rel = target.lexically_relative(canonical_root_);
    const bool inside = !canonical_root_.empty() && !rel.empty() &&
                        *rel.begin() != "..";
    if (inside && IsAudioPath(target)) {
      // The walk meets (or met) the file under its own name.
      spdlog::info("{}: a link to {}, indexed under that name; skipped",
                   e.path().string(), target.string());
      return false;
    }
  } else if (e.hard_link_count(ec) <= 1 || ec) {
    return true;  // one name only
  }
  struct stat st {};
  if (::stat(e.path().c_str(), &st) != 0) return true;
  if (!linked_files_.insert({st.st_dev, st.st_ino}).second) {
    spdlog::info("{}: another name of a track already listed; skipped",
                 e.path().string());
    return false;
  }
  return true;
}

std::optional<WorkItem> CatalogueSource::NextFromDirectory() {
  std::error_code ec;
  if (!walk_started_) {
    walk_started_ = true;
    walk_ = fs::recursive_directory_iterator(
        root_, fs::directory_options::follow_directory_symlink, ec);
    if (ec) {
      status_ = core::Status::IOError(root_.string(), ec.message());
      return std::nullopt;
    }
    FirstVisit(root_);
  } else if (walk_ != fs::recursive_directory_iterator()) {
    walk_.increment(ec);
  }
  for (; walk_ != fs::recursive_directory_iterator(); walk_.increment(ec)) {
    if (ec) {
      status_ =
          core::Status::IOError(root_.string(), "scan failed: " + ec.message());
      return std::nullopt;
    }
    const fs::directory_entry& e = *walk_;
    std::error_code type_ec;
    // Regular files (and links to them) only; a dangling link or a broken
    // file still becomes a track, so that it is reported as a failure.
    if (e.is_directory(type_ec)) {
      // A folder reached again (a symlink loop, a second link to it) is
      // not entered again: each folder is scanned once.
      if (!FirstVisit(e.path())) {
        spdlog::info("{}: already scanned through another path; skipped",
                     e.path().string());
        walk_.disable_recursion_pending();
      }
      continue;
    }
    if (!IsAudioPath(e.path()) || !FirstName(e)) continue;
    WorkItem item;
    item.path = e.path().string();
    item.track_id = e.path().lexically_relative(root_).generic_string();
    item.seq = seq_++;
    return item;
  }
  if (ec) {
    status_ =
        core::Status::IOError(root_.string(), "scan failed: " + ec.message());
  }
  return std::nullopt;
}

std::optional<WorkItem> CatalogueSource::NextFromManifest() {
  for (;;) {
    auto rec = manifest_->Next();
    if (!rec.ok()) {
      status_ = rec.status();
      return std::nullopt;
    }
    if (!rec->has_value()) return std::nullopt;
    const std::vector<std::string>& row = **rec;
    const std::string& p = row[path_column_];
    if (p.empty()) continue;  // a blank line or a row without a path
    WorkItem item;
    fs::path path(p);
    item.path = path.is_absolute() ? p : (root_ / path).string();
    if (id_column_ >= 0 && !row[id_column_].empty()) {
      item.track_id = row[id_column_];
    } else {
      item.track_id = path.generic_string();
    }
    item.seq = seq_++;
    return item;
  }
}

}  // namespace mer::coordinator
