#include "common/core/labels.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <unordered_set>

#include "common/core/csv.h"
#include "common/core/digest.h"

namespace mer::core {
namespace {

Result<float> ParseFloat(const std::string& text, const char* what) {
  float v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() ||
      !std::isfinite(v)) {
    return Status::InvalidArgument(std::string(what) + " '" + text + "'",
                                   "not a number");
  }
  return v;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string LowerCase(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "a; b;c" -> {a, b, c} sorted; "" -> {}.
Result<std::vector<std::string>> ParseTags(const std::string& cell) {
  std::vector<std::string> tags;
  size_t b = 0, e = cell.size();
  while (b < e && IsBlank(cell[b])) ++b;
  while (e > b && IsBlank(cell[e - 1])) --e;
  if (b == e) return tags;
  for (size_t pos = b; pos <= e;) {
    size_t end = cell.find(';', pos);
    if (end == std::string::npos || end > e) end = e;
    size_t nb = pos, ne = end;
    while (nb < ne && IsBlank(cell[nb])) ++nb;
    while (ne > nb && IsBlank(cell[ne - 1])) --ne;
    if (nb == ne) {
      return Status::InvalidArgument("tags '" + cell + "'",
                                     "empty tag name between ';'");
    }
    std::string name = cell.substr(nb, ne - nb);
    for (unsigned char c : name) {
      if (c < 0x20 || c == 0x7f) {
        return Status::InvalidArgument("tags '" + cell + "'",
                                       "control character in a tag name");
      }
    }
    tags.push_back(std::move(name));
    pos = end + 1;
  }
  // A name repeated in one cell is one tag (real mood lists repeat names:
  // 4q-dev's "...; Warm; Warm").
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

// Centre and scale per axis from the quadrant labels (lexicon.h); the plain
// (x - 5) / 4 when a side has no labelled track.
VaScaling ScalingFromQuadrants(
    const std::vector<LabelledTrack>& tracks,
    const std::vector<std::optional<WordRating>>& raw) {
  double sum[2][2] = {{0, 0}, {0, 0}};  // [axis][positive side]
  int n[2][2] = {{0, 0}, {0, 0}};
  for (size_t i = 0; i < tracks.size(); ++i) {
    if (!raw[i] || !tracks[i].quadrant) continue;
    const Quadrant q = *tracks[i].quadrant;
    const bool v_pos = q == Quadrant::kHappy || q == Quadrant::kCalm;
    const bool a_pos = q == Quadrant::kHappy || q == Quadrant::kTense;
    sum[0][v_pos] += raw[i]->valence;
    ++n[0][v_pos];
    sum[1][a_pos] += raw[i]->arousal;
    ++n[1][a_pos];
  }
  VaScaling s;
  float* centre[2] = {&s.valence_centre, &s.arousal_centre};
  float* scale[2] = {&s.valence_scale, &s.arousal_scale};
  for (int axis = 0; axis < 2; ++axis) {
    if (n[axis][0] == 0 || n[axis][1] == 0) continue;
    const double neg = sum[axis][0] / n[axis][0];
    const double pos = sum[axis][1] / n[axis][1];
    if (pos - neg < 1e-3) continue;  // labels and words disagree: keep plain
    *centre[axis] = static_cast<float>((pos + neg) / 2);
    *scale[axis] = static_cast<float>(pos - neg);  // means land at +-0.5
  }
  return s;
}

// Fills the V-A of the rows the words gave one, and the report.
void ApplyLexicon(const std::vector<std::optional<WordRating>>& raw,
                  LexiconReport* report, LabelledSet* set) {
  report->scaling = ScalingFromQuadrants(set->tracks, raw);
  report->tracks = static_cast<int64_t>(set->tracks.size());
  int64_t labelled = 0, agree = 0;
  for (size_t i = 0; i < set->tracks.size(); ++i) {
    if (!raw[i]) continue;
    LabelledTrack& t = set->tracks[i];
    t.valence = report->scaling.Valence(raw[i]->valence);
    t.arousal = report->scaling.Arousal(raw[i]->arousal);
    ++report->tracks_with_va;
    if (t.quadrant) {
      ++labelled;
      agree += QuadrantOf(*t.valence, *t.arousal) == *t.quadrant;
    } else {
      t.quadrant = QuadrantOf(*t.valence, *t.arousal);
    }
  }
  report->agreement = labelled ? static_cast<double>(agree) / labelled : 0;
  set->has_va = set->has_va || report->tracks_with_va > 0;
  set->lexicon = *report;
}

}  // namespace

std::string LexiconReport::Summary() const {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "lexicon %s: %lld of %lld mood words found; %lld of %lld "
                "tracks get V-A (valence (x - %.3g) / %.3g, arousal (x - "
                "%.3g) / %.3g); %.1f %% of labelled tracks lie in their "
                "quadrant",
                path.c_str(), static_cast<long long>(words_found),
                static_cast<long long>(words),
                static_cast<long long>(tracks_with_va),
                static_cast<long long>(tracks), scaling.valence_centre,
                scaling.valence_scale, scaling.arousal_centre,
                scaling.arousal_scale, 100 * agreement);
  return buf;
}

Result<VaScale> ParseVaScale(std::string_view text) {
  if (text == "1-9" || text == "1..9") return VaScale::kOneToNine;
  if (text == "-1..1" || text == "-1-1" || text == "-1,1") {
    return VaScale::kMinusOneToOne;
  }
  return Status::InvalidArgument("--va-scale '" + std::string(text) + "'",
                                 "expected 1-9 or -1..1");
}

std::string LabelledSet::Digest() const {
  Digest64 d;
  for (const auto& t : tracks) {
    d.Update(t.track_id).Update("\x1f", 1).Update(t.group).Update("\x1f", 1);
    char buf[64];
    int q = t.quadrant ? static_cast<int>(*t.quadrant) : -1;
    int n = std::snprintf(buf, sizeof(buf), "%d|%.6g|%.6g\n", q,
                          t.valence.value_or(NAN), t.arousal.value_or(NAN));
    d.Update(buf, static_cast<size_t>(n));
    if (has_tags) {
      for (const std::string& tag : t.tags) d.Update("\x1e", 1).Update(tag);
      d.Update("\n", 1);
    }
  }
  return "data-" + d.Hex();
}

Result<LabelledSet> ReadLabels(const std::string& csv_path,
                               const LabelsOptions& options) {
  MER_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(csv_path));
  const int c_path = reader->Column("path");
  const int c_id = reader->Column("track_id");
  const int c_quadrant = reader->Column("quadrant");
  const int c_valence = reader->Column("valence");
  const int c_arousal = reader->Column("arousal");
  const int c_group = reader->Column(options.group_by);
  const int c_tags =
      options.tags_column.empty() ? -1 : reader->Column(options.tags_column);
  std::optional<Lexicon> lexicon;
  int c_words = -1;
  if (options.lexicon) {
    MER_ASSIGN_OR_RETURN(lexicon, Lexicon::Read(*options.lexicon));
    c_words = reader->Column(options.lexicon_words_column);
    if (c_words < 0) {
      return Status::InvalidArgument(
          csv_path, "no '" + options.lexicon_words_column +
                        "' column of mood words for the lexicon");
    }
  }
  if (c_path < 0) {
    return Status::InvalidArgument(csv_path, "no 'path' column in the header");
  }
  if ((c_valence < 0) != (c_arousal < 0)) {
    return Status::InvalidArgument(
        csv_path, "has only one of the 'valence' and 'arousal' columns");
  }
  if (c_quadrant < 0 && c_valence < 0 && c_tags < 0 && c_words < 0) {
    return Status::InvalidArgument(
        csv_path,
        "no labels: expected a 'quadrant' column and/or "
        "'valence' and 'arousal' columns and/or a '" +
            options.tags_column + "' column");
  }
  const std::filesystem::path base =
      std::filesystem::path(csv_path).parent_path();

  LabelledSet set;
  set.csv_path = csv_path;
  set.has_quadrant = c_quadrant >= 0;
  set.has_va = c_valence >= 0;
  set.has_tags = c_tags >= 0;
  std::unordered_set<std::string> ids;
  std::set<std::string> tag_names;
  std::vector<std::optional<WordRating>> raw;  // per row, from mood words
  LexiconReport report;
  while (true) {
    MER_ASSIGN_OR_RETURN(auto row, reader->Next());
    if (!row) break;
    const std::string where = csv_path + ":" + std::to_string(reader->line());
    const auto& f = *row;
    LabelledTrack t;
    const std::string& rel = f[c_path];
    if (rel.empty()) return Status::InvalidArgument(where, "empty path");
    std::filesystem::path p(rel);
    t.path = p.is_absolute() ? rel : (base / p).lexically_normal().string();
    t.track_id = c_id >= 0 && !f[c_id].empty() ? f[c_id] : rel;
    if (!ids.insert(t.track_id).second) {
      return Status::InvalidArgument(where,
                                     "duplicate track id '" + t.track_id + "'");
    }
    if (c_group >= 0) t.group = f[c_group];
    if (c_quadrant >= 0 && !f[c_quadrant].empty()) {
      auto q = ParseQuadrant(f[c_quadrant]);
      if (!q.ok()) return q.status().WithContext(where);
      t.quadrant = *q;
    }
    if (c_valence >= 0 && !f[c_valence].empty()) {
      auto v = ParseFloat(f[c_valence], "valence");
      auto a = ParseFloat(f[c_arousal], "arousal");
      if (!v.ok()) return v.status().WithContext(where);
      if (!a.ok()) return a.status().WithContext(where);
      float vv = *v, aa = *a;
      if (options.va_scale == VaScale::kOneToNine) {
        if (vv < 1 || vv > 9 || aa < 1 || aa > 9) {
          return Status::InvalidArgument(where, "valence/arousal outside 1..9");
        }
        vv = FromNinePointScale(vv);
        aa = FromNinePointScale(aa);
      } else if (std::fabs(vv) > 1 || std::fabs(aa) > 1) {
        return Status::InvalidArgument(
            where, "valence/arousal outside -1..1 (use --va-scale 1-9?)");
      }
      t.valence = vv;
      t.arousal = aa;
      if (!t.quadrant) t.quadrant = QuadrantOf(vv, aa);
    }
    if (c_tags >= 0) {
      auto tags = ParseTags(f[c_tags]);
      if (!tags.ok()) return tags.status().WithContext(where);
      t.tags = std::move(*tags);
      tag_names.insert(t.tags.begin(), t.tags.end());
    }
    if (lexicon) {
      raw.emplace_back();
      if (!t.valence) {  // explicit V-A wins; the words are not looked up
        auto words = ParseTags(LowerCase(f[c_words]));
        if (!words.ok()) return words.status().WithContext(where);
        int found = 0;
        raw.back() = MoodVa(*lexicon, *words, &found);
        report.words += static_cast<int64_t>(words->size());
        report.words_found += found;
      }
    }
    if (!t.quadrant && !t.valence && c_tags < 0 && !(lexicon && raw.back())) {
      return Status::InvalidArgument(where, "row has no label");
    }
    set.tracks.push_back(std::move(t));
  }
  if (lexicon) {
    report.path = lexicon->path();
    report.digest = lexicon->digest();
    ApplyLexicon(raw, &report, &set);
  }
  set.tag_names.assign(tag_names.begin(), tag_names.end());
  if (set.tracks.empty()) {
    return Status::InvalidArgument(csv_path, "no rows after the header");
  }
  return set;
}

}  // namespace mer::core
