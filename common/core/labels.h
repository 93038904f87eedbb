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
// Lexicon: with LabelsOptions::lexicon, every row's mood words (the
// ';'-separated column lexicon_words_column, e.g. 4q-dev's `moods`) give it a
// continuous valence and arousal (common/core/lexicon.h: the mean of the
// words' ratings, centred and scaled from the set's quadrant labels). A row
// with valence/arousal columns of its own keeps them; a row none of whose
// words is in the lexicon has no V-A. LabelledSet::lexicon reports coverage
// and the scaling.
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
// with a control character is an error naming the file and line. When the file
// has a tags column, its cell is a label of every row, so a row may carry tags
// alone (no quadrant, no V-A: `b.mp3` above); its quadrant is unknown (-1) and
// training leaves it out of the quadrant loss and metrics. Without a tags
// column every row needs a quadrant or V-A label.
#ifndef MER_COMMON_CORE_LABELS_H_
#define MER_COMMON_CORE_LABELS_H_

#include <optional>
#include <string>
#include <vector>

#include "common/core/emotion.h"
#include "common/core/lexicon.h"
#include "common/core/result.h"

namespace mer::core {

enum class VaScale { kMinusOneToOne, kOneToNine };

struct LabelsOptions {
  VaScale va_scale = VaScale::kMinusOneToOne;  // Default: -1..1
  std::string group_by = "artist";             // Default: "artist"
  // Column of ';'-separated tag names; a file without it has no tags.
  // Default: "tags".
  std::string tags_column = "tags";
  // Continuous V-A from mood words through this lexicon. Default: none.
  std::optional<LexiconOptions> lexicon;
  // The column of each row's ';'-separated mood words. Default: "moods".
  std::string lexicon_words_column = "moods";
};

// What a lexicon made of a labelled set.
struct LexiconReport {
  std::string path, digest;
  int64_t words = 0, words_found = 0;      // over every row's mood words
  int64_t tracks = 0, tracks_with_va = 0;  // rows; rows given V-A by words
  VaScaling scaling;
  // Of the rows with a quadrant label and V-A from words, the share whose
  // V-A point lies in the labelled quadrant.
  double agreement = 0;

  // "lexicon X: 3950 of 4637 mood words found; 720 of 720 tracks get V-A
  // (valence (x - 5.12) / 3.12, arousal ...); 97.8 % in their quadrant".
  std::string Summary() const;
};

// Parses "1-9" / "-1..1" (and "-1-1").
Result<VaScale> ParseVaScale(std::string_view text);

struct LabelledTrack {
  std::string path;  // resolved against the CSV's folder
  std::string track_id;
  std::string group;  // empty when the CSV has no group column
  std::optional<Quadrant> quadrant;
  std::optional<float> valence;   // in [-1, 1]
  std::optional<float> arousal;   // in [-1, 1]
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
  // Set when the labels came with a lexicon.
  std::optional<LexiconReport> lexicon;
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
