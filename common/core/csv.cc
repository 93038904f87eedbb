#include "common/core/csv.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace mer::core {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path, "is a directory, not a CSV file");
  }
  std::unique_ptr<CsvReader> r(new CsvReader());
  r->path_ = path;
  r->in_.open(path, std::ios::binary);
  if (!r->in_) {
    return errno == ENOENT ? Status::NotFound(path, std::strerror(errno))
                           : Status::IOError(path, std::strerror(errno));
  }
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".tsv") == 0) {
    r->delimiter_ = '\t';
  }
  MER_ASSIGN_OR_RETURN(auto header, r->ReadRecord());
  if (!header) return Status::Corruption(path, "empty file, expected a header");
  for (auto& h : *header) r->header_.push_back(Trim(h));
  // Strip a UTF-8 byte order mark.
  if (!r->header_.empty() && r->header_[0].rfind("\xEF\xBB\xBF", 0) == 0) {
    r->header_[0].erase(0, 3);
  }
  return r;
}

int CsvReader::Column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<std::optional<std::vector<std::string>>> CsvReader::ReadRecord() {
  std::string line;
  // Skip blank lines.
  do {
    if (!std::getline(in_, line)) return std::optional<std::vector<std::string>>();
    record_line_ = next_line_++;
  } while (Trim(line).empty());

  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  size_t i = 0;
  while (true) {
    if (i == line.size()) {
      if (!quoted) break;
      // A quoted field spans lines.
      std::string more;
      if (!std::getline(in_, more)) {
        return Status::Corruption(
            path_ + ":" + std::to_string(record_line_), "unterminated quote");
      }
      ++next_line_;
      field += '\n';
      line = std::move(more);
      i = 0;
      continue;
    }
    char c = line[i++];
    if (quoted) {
      if (c == '"') {
        if (i < line.size() && line[i] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter_) {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c != '\r' || i != line.size()) {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  return std::optional<std::vector<std::string>>(std::move(fields));
}

Result<std::optional<std::vector<std::string>>> CsvReader::Next() {
  MER_ASSIGN_OR_RETURN(auto rec, ReadRecord());
  if (rec && rec->size() != header_.size()) {
    return Status::Corruption(
        path_ + ":" + std::to_string(record_line_),
        "expected " + std::to_string(header_.size()) + " fields, found " +
            std::to_string(rec->size()));
  }
  if (rec) {
    for (auto& f : *rec) f = Trim(std::move(f));
  }
  return rec;
}

}  // namespace mer::core
