// Lexicon: valence and arousal ratings of words (affective word norms), and
// the continuous V-A a track gets from its mood words.
//
// Any CSV with a word column and two rating columns works; the defaults are
// those of Warriner, Kuperman and Brysbaert (2013), "Norms of valence,
// arousal, and dominance for 13,915 English lemmas" (columns Word,
// V.Mean.Sum, A.Mean.Sum; 1-9 scale), the norms the 4Q dataset's authors
// placed its AllMusic mood words with. Words are matched case-insensitively
// after trimming; a word not found whole is split at '/' ("Laid-Back/Mellow")
// and its parts tried.
//
// From words to a point in [-1, 1]^2 (MoodVa): a track's raw V and A are the
// means of the ratings of its words found in the lexicon. VaScaling then
// centres and scales each axis:
//   scaled = clamp((raw - centre) / scale, -1, 1).
// With quadrant labels (LabelledSet), the centre of valence is the midpoint
// of the mean raw valence of the positive-valence quadrants (happy, calm)
// and of the negative ones (tense, sad), and the scale twice the distance
// from it to either mean, so the two groups' means land at +-0.5, where the
// quadrant-only targets lie; arousal likewise (happy, tense vs sad, calm).
// Mood words' arousal centres near 4.7, not the scale's 5, which is why the
// centre comes from the labels. Without quadrant labels: centre 5, scale 4,
// the plain (x - 5) / 4.
//
// Thread-safety: a Lexicon is immutable once read.
#ifndef MER_COMMON_CORE_LEXICON_H_
#define MER_COMMON_CORE_LEXICON_H_

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/core/result.h"

namespace mer::core {

struct LexiconOptions {
  std::string path;  // the CSV; required
  // Column names. Default: Warriner et al.'s Word, V.Mean.Sum, A.Mean.Sum.
  std::string word_column = "Word";
  std::string valence_column = "V.Mean.Sum";
  std::string arousal_column = "A.Mean.Sum";
};

struct WordRating {
  float valence = 0;  // on the lexicon's own scale (1-9 for Warriner)
  float arousal = 0;
};

class Lexicon {
 public:
  // Reads the whole CSV. InvalidArgument naming the file when a column is
  // missing or a rating is not a number.
  static Result<Lexicon> Read(const LexiconOptions& options);

  // The rating of `word` (case-insensitive, trimmed), or of the mean of its
  // '/'-separated parts that are found; nullopt when none is.
  std::optional<WordRating> Find(std::string_view word) const;
  size_t size() const { return words_.size(); }
  const std::string& path() const { return path_; }
  // Digest of the words and ratings read: names the lexicon in reports.
  const std::string& digest() const { return digest_; }

 private:
  std::string path_, digest_;
  std::unordered_map<std::string, WordRating> words_;  // lower-case keys
};

// The raw (lexicon-scale) V-A of a track from its mood words: the mean of
// the ratings found. `found` (optional) gets how many words were found.
std::optional<WordRating> MoodVa(const Lexicon& lexicon,
                                 const std::vector<std::string>& words,
                                 int* found = nullptr);

// Centre and scale of both axes (see the header comment).
struct VaScaling {
  float valence_centre = 5, valence_scale = 4;
  float arousal_centre = 5, arousal_scale = 4;

  // (raw - centre) / scale, clamped to [-1, 1].
  float Valence(float raw) const;
  float Arousal(float raw) const;
};

}  // namespace mer::core

#endif  // MER_COMMON_CORE_LEXICON_H_
