// Owns the text of every file a compilation reads (the main file and its
// IMPORTs) so spans can be turned back into file:line:col and a source line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pipec {

using FileId = uint32_t;

// A half-open byte range [begin, end) in one file. end == begin is a point.
struct Span {
  FileId file = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
  bool valid = false;

  static Span at(FileId f, uint32_t b, uint32_t e) { return Span{f, b, e, true}; }
  // The smallest span covering both (same file).
  Span to(const Span& other) const;
};

struct LineColumn {
  uint32_t line = 0;    // 1-based
  uint32_t column = 0;  // 1-based, in code points
};

class SourceManager {
 public:
  FileId add(std::string path, std::string text);
  const std::string& path(FileId f) const { return files_[f].path; }
  const std::string& text(FileId f) const { return files_[f].text; }
  size_t file_count() const { return files_.size(); }

  LineColumn line_column(FileId f, uint32_t offset) const;
  // The whole line containing offset, without its newline.
  std::string_view line_text(FileId f, uint32_t line) const;

 private:
  struct File {
    std::string path;
    std::string text;
    std::vector<uint32_t> line_starts;
  };
  std::vector<File> files_;
};

}  // namespace pipec
