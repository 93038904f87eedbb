// CSV/TSV reading (RFC 4180 quoting: "a, b" and "say ""hi"""), streaming one
// record at a time so a 100-million-line manifest never sits in memory.
#ifndef MER_COMMON_CORE_CSV_H_
#define MER_COMMON_CORE_CSV_H_

#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.h"

namespace mer::core {

class CsvReader {
 public:
  // Opens `path`. The delimiter is ',' unless the name ends in .tsv (tab).
  static Result<std::unique_ptr<CsvReader>> Open(const std::string& path);

  // The header row's column names (trimmed).
  const std::vector<std::string>& header() const { return header_; }
  // Index of `name` in the header, or -1.
  int Column(std::string_view name) const;

  // Next record, std::nullopt at the end; Corruption on an unterminated quote
  // or a field count that differs from the header (message names the line).
  Result<std::optional<std::vector<std::string>>> Next();
  // 1-based line number of the record Next() returned last.
  int64_t line() const { return record_line_; }
  const std::string& path() const { return path_; }

 private:
  CsvReader() = default;
  // Splits the next record (which may span lines inside quotes) into fields.
  Result<std::optional<std::vector<std::string>>> ReadRecord();

  std::string path_;
  std::ifstream in_;
  char delimiter_ = ',';
  std::vector<std::string> header_;
  int64_t next_line_ = 1;
  int64_t record_line_ = 0;
};

}  // namespace mer::core

#endif  // MER_COMMON_CORE_CSV_H_
