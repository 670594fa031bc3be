#include "compiler/diagnostics/source_manager.h"

#include <algorithm>

namespace pipec {

Span Span::to(const Span& other) const {
  if (!valid) return other;
  if (!other.valid || other.file != file) return *this;
  return Span::at(file, std::min(begin, other.begin), std::max(end, other.end));
}

FileId SourceManager::add(std::string path, std::string text) {
  File f{std::move(path), std::move(text), {0}};
  for (uint32_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
  files_.push_back(std::move(f));
  return static_cast<FileId>(files_.size() - 1);
}

LineColumn SourceManager::line_column(FileId id, uint32_t offset) const {
  const File& f = files_[id];
  offset = std::min<uint32_t>(offset, f.text.size());
  auto it = std::upper_bound(f.line_starts.begin(), f.line_starts.end(), offset);
  uint32_t line = static_cast<uint32_t>(it - f.line_starts.begin());
  // Columns count code points (UTF-8 continuation bytes don't advance), so
  // carets line up under non-ASCII text.
  uint32_t column = 1;
  for (uint32_t i = f.line_starts[line - 1]; i < offset; ++i)
    if ((static_cast<unsigned char>(f.text[i]) & 0xC0) != 0x80) ++column;
  return {line, column};
}

std::string_view SourceManager::line_text(FileId id, uint32_t line) const {
  const File& f = files_[id];
  if (line == 0 || line > f.line_starts.size()) return {};
  uint32_t b = f.line_starts[line - 1];
  uint32_t e = line < f.line_starts.size() ? f.line_starts[line] - 1 : f.text.size();
  std::string_view s(f.text.data() + b, e - b);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

}  // namespace pipec
