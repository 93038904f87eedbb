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
//
// Tags: an optional `tags` column (LabelsOptions::tags_column names another)
// holds tag names separated by ';', each trimmed of blanks:
//
//   path,quadrant,tags
//   a.mp3,Q1,happy; guitar
//   b.mp3,,calm
//   c.mp3,Q3,
//
// An empty cell is a track with no tag (a negative for every tag); a name
// repeated in one cell counts once. An empty name ("a;;b", "a;") or a name
// with a control character is an error naming the file and line. When the file has a tags
// column, its cell is a label of every row, so a row may carry tags alone
// (no quadrant, no V-A: `b.mp3` above); its quadrant is unknown (-1) and
// training leaves it out of the quadrant loss and metrics. Without a tags
// column every row needs a quadrant or V-A label.
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
  // Column of ';'-separated tag names; a file without it has no tags.
  // Default: "tags".
  std::string tags_column = "tags";
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
  std::vector<std::string> tags;  // sorted, unique; empty: no tag
};

struct LabelledSet {
  std::string csv_path;
  std::vector<LabelledTrack> tracks;
  bool has_quadrant = false;
  bool has_va = false;
  // The file has a tags column (even if every cell is empty).
  bool has_tags = false;
  // Sorted union of every track's tags.
  std::vector<std::string> tag_names;
  // Digest of every track's id, group and labels: names the training data.
  // Tags are folded in only when has_tags, so a file without a tags column
  // keeps the digest it had before tags existed.
  std::string Digest() const;
};

// Reads and validates the whole file. A malformed row is an error naming the
// file and line ("labels.csv:17: quadrant 'Q7': expected Q1..Q4 ...").
Result<LabelledSet> ReadLabels(const std::string& csv_path,
                               const LabelsOptions& options = {});

}  // namespace mer::core

#endif  // MER_COMMON_CORE_LABELS_H_
