// CatalogueSource: the tracks of a catalogue as a stream of work items
// (WorkSource), read lazily so that the coordinator's memory does not grow
// with the catalogue (DESIGN.md §8):
//   * a directory is walked recursively (std::filesystem's
//     recursive_directory_iterator, advanced one entry per Next()); files
//     whose extension is an audio one (kAudioExtensions, case-insensitive)
//     are tracks, with the path relative to the root as track id; a folder
//     is entered once (by device and inode), so a symlink loop or a second
//     link to a folder adds nothing; a file reached twice (a symlink to a
//     track inside the catalogue, two links to one track outside it, hard
//     links) is one track, under the first name met;
//   * a manifest (CSV, or TSV by its .tsv name) is read one record at a time
//     (core::CsvReader); column `path` is required, `track_id` optional (the
//     path, relative to the manifest's folder when it is relative, otherwise
//     as written). Relative paths are resolved against the manifest's folder.
// The walk order of a directory is the file system's (not sorted): sorting
// would need the whole listing in memory.
//
// Errors: Open() fails on a missing catalogue or a manifest without a
// `path` column. Errors met while streaming (an unreadable sub-folder, a
// malformed manifest line) end the stream early; status() reports the first
// one, and the job driver fails the job with it (an incomplete scan must not
// look like a catalogue that shrank: --prune would delete live tracks).
//
// Thread-safety: not thread-safe; the coordinator's thread drives it.
#ifndef MER_COORDINATOR_CATALOGUE_SOURCE_H_
#define MER_COORDINATOR_CATALOGUE_SOURCE_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "common/core/csv.h"
#include "common/core/result.h"
#include "coordinator/work_scheduler.h"

namespace mer::coordinator {

// Lower-case extensions (with the dot) taken as audio in a directory scan.
inline constexpr std::string_view kAudioExtensions[] = {
    ".mp3", ".ogg", ".oga",  ".opus", ".flac", ".wav", ".m4a", ".aac",
    ".wma", ".aif", ".aiff", ".mp4",  ".webm", ".mka", ".ape", ".wv"};

// True when `path` ends in one of kAudioExtensions (any case).
bool IsAudioPath(const std::filesystem::path& path);

class CatalogueSource : public WorkSource {
 public:
  // `catalogue` is a directory or a manifest file.
  static core::Result<std::unique_ptr<CatalogueSource>> Open(
      const std::string& catalogue);
  ~CatalogueSource() override;

  std::optional<WorkItem> Next() override;

  // OK, or the first error that ended the stream early.
  const core::Status& status() const { return status_; }
  bool is_directory() const { return !manifest_; }
  // The directory, or the manifest's folder: the base of relative paths.
  const std::filesystem::path& root() const { return root_; }
  // Entries handed out so far.
  uint64_t count() const { return seq_; }

 private:
  CatalogueSource() = default;
  std::optional<WorkItem> NextFromDirectory();
  std::optional<WorkItem> NextFromManifest();
  // False when the folder (by device and inode) was entered before.
  bool FirstVisit(const std::filesystem::path& dir);
  // False when the file `e` is a second name of a track already handed
  // out, or of one the walk hands out under its own name.
  bool FirstName(const std::filesystem::directory_entry& e);

  std::filesystem::path root_;
  // Directory mode.
  std::filesystem::recursive_directory_iterator walk_;
  bool walk_started_ = false;
  // (device, inode) of every folder entered: grows with the folders, not
  // the tracks.
  std::set<std::pair<uint64_t, uint64_t>> visited_dirs_;
  // (device, inode) of tracks that can have a second name: symlinked files
  // whose target lies outside the catalogue, and hard-linked files. Grows
  // with those only, not with the catalogue.
  std::set<std::pair<uint64_t, uint64_t>> linked_files_;
  std::filesystem::path canonical_root_;
  // Manifest mode.
  std::unique_ptr<core::CsvReader> manifest_;
  int path_column_ = -1;
  int id_column_ = -1;

  uint64_t seq_ = 0;
  core::Status status_;
};

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_CATALOGUE_SOURCE_H_
