#include "runtime/sources/csv_reader.h"

namespace pipec {

std::optional<std::vector<CsvField>> CsvReader::next(std::string* error) {
  if (error) error->clear();
  // Skip blank lines between records.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return std::nullopt;
  record_line_ = line_;
  std::vector<CsvField> fields;
  CsvField field;
  bool ok = true;
  while (true) {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      field.quoted = true;
      ++pos_;
      bool closed = false;
      while (pos_ < text_.size()) {
        char c = text_[pos_++];
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            field.text.push_back('"');
            ++pos_;
            continue;
          }
          closed = true;
          break;
        }
        if (c == '\n') ++line_;
        field.text.push_back(c);
      }
      if (!closed) {
        if (ok && error) *error = "unterminated quoted field";
        ok = false;
      }
      // Only a delimiter or the line end may follow a closing quote.
      if (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n' && text_[pos_] != '\r') {
        if (ok && error) *error = "unexpected character after a quoted field";
        ok = false;
        while (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n') ++pos_;
      }
    } else {
      while (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n') {
        char c = text_[pos_++];
        if (c == '"') {
          if (ok && error) *error = "quote inside an unquoted field";
          ok = false;
        }
        field.text.push_back(c);
      }
      if (!field.text.empty() && field.text.back() == '\r' && (pos_ >= text_.size() || text_[pos_] == '\n'))
        field.text.pop_back();
    }
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;  // CR of a CRLF after a quoted field
    fields.push_back(std::move(field));
    field = CsvField{};
    if (pos_ >= text_.size()) break;
    if (text_[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    if (text_[pos_] == '\n') {
      ++pos_;
      ++line_;
      break;
    }
  }
  if (!ok) return std::vector<CsvField>{};  // reported; the reader goes on with the next record
  return fields;
}

}  // namespace pipec
