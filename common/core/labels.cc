#include "common/core/labels.h"

#include <algorithm>
#include <charconv>
#include <cmath>
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

}  // namespace

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
  if (c_path < 0) {
    return Status::InvalidArgument(csv_path, "no 'path' column in the header");
  }
  if ((c_valence < 0) != (c_arousal < 0)) {
    return Status::InvalidArgument(
        csv_path, "has only one of the 'valence' and 'arousal' columns");
  }
  if (c_quadrant < 0 && c_valence < 0 && c_tags < 0) {
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
          return Status::InvalidArgument(where,
                                         "valence/arousal outside 1..9");
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
    if (!t.quadrant && !t.valence && c_tags < 0) {
      return Status::InvalidArgument(where, "row has no label");
    }
    set.tracks.push_back(std::move(t));
  }
  set.tag_names.assign(tag_names.begin(), tag_names.end());
  if (set.tracks.empty()) {
    return Status::InvalidArgument(csv_path, "no rows after the header");
  }
  return set;
}

}  // namespace mer::core
