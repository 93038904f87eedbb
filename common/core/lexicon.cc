#include "common/core/lexicon.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "common/core/csv.h"
#include "common/core/digest.h"

namespace mer::core {
namespace {

// The mean of some ratings (nullopt for none), summed in double.
struct MeanRating {
  double valence = 0, arousal = 0;
  int n = 0;
  void Add(const WordRating& r) {
    valence += r.valence;
    arousal += r.arousal;
    ++n;
  }
  std::optional<WordRating> Get() const {
    if (n == 0) return std::nullopt;
    return WordRating{static_cast<float>(valence / n),
                      static_cast<float>(arousal / n)};
  }
};

std::string Normalise(std::string_view word) {
  size_t b = 0, e = word.size();
  while (b < e && std::isspace(static_cast<unsigned char>(word[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(word[e - 1]))) --e;
  std::string out(word.substr(b, e - b));
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<float> ParseRating(const std::string& text, const std::string& where) {
  float v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() ||
      !std::isfinite(v)) {
    return Status::InvalidArgument(where,
                                   "rating '" + text + "' is not a number");
  }
  return v;
}

}  // namespace

Result<Lexicon> Lexicon::Read(const LexiconOptions& options) {
  MER_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(options.path));
  const int c_word = reader->Column(options.word_column);
  const int c_v = reader->Column(options.valence_column);
  const int c_a = reader->Column(options.arousal_column);
  for (const auto& [c, name] : {std::pair{c_word, options.word_column},
                                std::pair{c_v, options.valence_column},
                                std::pair{c_a, options.arousal_column}}) {
    if (c < 0) {
      return Status::InvalidArgument(options.path,
                                     "no '" + name + "' column in the header");
    }
  }
  Lexicon lex;
  lex.path_ = options.path;
  Digest64 d;
  while (true) {
    MER_ASSIGN_OR_RETURN(auto row, reader->Next());
    if (!row) break;
    const std::string where =
        options.path + ":" + std::to_string(reader->line());
    const std::string word = Normalise((*row)[c_word]);
    if (word.empty()) continue;
    MER_ASSIGN_OR_RETURN(float v, ParseRating((*row)[c_v], where));
    MER_ASSIGN_OR_RETURN(float a, ParseRating((*row)[c_a], where));
    lex.words_[word] = {v, a};
    d.Update(word)
        .Update("\x1f", 1)
        .Update(&v, sizeof(v))
        .Update(&a, sizeof(a));
  }
  if (lex.words_.empty()) {
    return Status::InvalidArgument(options.path, "no words");
  }
  lex.digest_ = "lex-" + d.Hex();
  return lex;
}

std::optional<WordRating> Lexicon::Find(std::string_view word) const {
  const std::string key = Normalise(word);
  if (auto it = words_.find(key); it != words_.end()) return it->second;
  if (key.find('/') == std::string::npos) return std::nullopt;
  MeanRating mean;
  for (size_t b = 0; b <= key.size();) {
    size_t e = key.find('/', b);
    if (e == std::string::npos) e = key.size();
    if (auto it = words_.find(Normalise(key.substr(b, e - b)));
        it != words_.end()) {
      mean.Add(it->second);
    }
    b = e + 1;
  }
  return mean.Get();
}

std::optional<WordRating> MoodVa(const Lexicon& lexicon,
                                 const std::vector<std::string>& words,
                                 int* found) {
  MeanRating mean;
  for (const std::string& w : words) {
    if (auto r = lexicon.Find(w)) mean.Add(*r);
  }
  if (found) *found = mean.n;
  return mean.Get();
}

float VaScaling::Valence(float raw) const {
  return std::clamp((raw - valence_centre) / valence_scale, -1.0f, 1.0f);
}

float VaScaling::Arousal(float raw) const {
  return std::clamp((raw - arousal_centre) / arousal_scale, -1.0f, 1.0f);
}

}  // namespace mer::core
