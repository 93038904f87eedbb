// Pruning: delete the indexed tracks (and failure records) whose id is no
// longer in the catalogue, with memory bounded independently of the
// catalogue's size.
//
// How: the catalogue is streamed again (CatalogueSource) and its ids are
// cut into runs of at most `run_ids` ids, each sorted and written to a
// temporary file in `temp_dir`; a k-way merge of the runs yields the
// catalogue's ids in byte order, the order in which the index streams its
// own ids (ForEachTrackId), so one merged pass finds every indexed id that
// is missing from the catalogue. Memory: one run plus one id per run file.
// Failure records are few (Failures() reads them whole) and are checked
// against the same merged stream in a second pass.
//
// Thread-safety: not thread-safe; the coordinator's thread calls it while
// it is the index's only writer.
#ifndef MER_COORDINATOR_CATALOGUE_PRUNE_H_
#define MER_COORDINATOR_CATALOGUE_PRUNE_H_

#include <cstdint>
#include <string>

#include "common/core/result.h"
#include "storage/emotion_index.h"

namespace mer::coordinator {

struct PruneOptions {
  // Ids per sorted run held in memory. Default: 1 << 20
  size_t run_ids = size_t{1} << 20;
  // Folder for the run files; empty: the system's temp folder. Default: ""
  std::string temp_dir;
};

// Deletes from `index` every track and failure whose id is not produced by
// the catalogue `catalogue` (a directory or manifest, as CatalogueSource).
// Returns how many ids were deleted. Fails, deleting nothing more, when the
// catalogue cannot be read completely.
core::Result<uint64_t> PruneIndex(storage::EmotionIndex& index,
                                  const std::string& catalogue,
                                  const PruneOptions& options = {});

}  // namespace mer::coordinator

#endif  // MER_COORDINATOR_CATALOGUE_PRUNE_H_
