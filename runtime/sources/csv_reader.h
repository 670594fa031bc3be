// A small RFC 4180 CSV reader for lookup tables: quoted fields ("" escapes a
// quote, quoted fields may span lines), a configurable one-character
// delimiter, CRLF or LF line ends. An unquoted empty field reads as NULL; a
// quoted empty field ("") is the empty string.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pipec {

struct CsvField {
  std::string text;
  bool quoted = false;
  bool is_null() const { return !quoted && text.empty(); }
};

class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter = ',') : text_(text), delimiter_(delimiter) {}

  // The next record, or nullopt at the end. A malformed record (a quote in an
  // unquoted field, an unterminated quoted field) comes back empty with
  // *error set; reading goes on with the next record.
  std::optional<std::vector<CsvField>> next(std::string* error);
  // 1-based line on which the record last returned by next() started.
  uint64_t line() const { return record_line_; }

 private:
  std::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
  uint64_t record_line_ = 0;
};

}  // namespace pipec
