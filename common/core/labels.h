// Labelled track lists: the CSV files that name a training or evaluation set.
//
//   path,track_id,quadrant,artist            (quadrant: Q1..Q4 or a name)
//   audio/a.mp3,A,Q3,Charlie Poole
//   path,valence,arousal                     (with --va-scale 1-9 or -1..1)
//
// `path` is relative to the CSV's folder unless absolute. `track_id` defaults
// to that relative path; `artist` (or the column named by group_by) is the
// group that splits keep on one side. A row with V-A but no quadrant gets the
// quadrant its V-A point falls in.
#ifndef MER_COMMON_CORE_LABELS_H_
#define MER_COMMON_CORE_LABELS_H_

#include <optional>
#include <string>
#include <vector>

#include "common/core/emotion.h"
#include "common/core/result.h"

namespace mer::core {

enum class VaScale { kMinusOneToOne, kOneToNine };

struct LabelsOptions {
  VaScale va_scale = VaScale::kMinusOneToOne;  // Default: -1..1
  std::string group_by = "artist";             // Default: "artist"
};

// Parses "1-9" / "-1..1" (and "-1-1").
Result<VaScale> ParseVaScale(std::string_view text);

struct LabelledTrack {
  std::string path;      // resolved against the CSV's folder
  std::string track_id;
  std::string group;     // empty when the CSV has no group column
  std::optional<Quadrant> quadrant;
  std::optional<float> valence;  // in [-1, 1]
  std::optional<float> arousal;  // in [-1, 1]
};

struct LabelledSet {
  std::string csv_path;
  std::vector<LabelledTrack> tracks;
  bool has_quadrant = false;
  bool has_va = false;
  // Digest of every track's id, group and labels: names the training data.
  std::string Digest() const;
};

// Reads and validates the whole file. A malformed row is an error naming the
// file and line ("labels.csv:17: quadrant 'Q7': expected Q1..Q4 ...").
Result<LabelledSet> ReadLabels(const std::string& csv_path,
                               const LabelsOptions& options = {});

}  // namespace mer::core

#endif  // MER_COMMON_CORE_LABELS_H_
