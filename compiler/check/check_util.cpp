#include "compiler/check/check_util.h"

#include <algorithm>
#include <cctype>

namespace pipec::check {

namespace {
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Skips blanks and comments from `i`; returns the next token's [begin, end),
// or {npos, npos} when the text ends or the token is not a word/quoted name.
std::pair<size_t, size_t> next_word(const std::string& text, size_t i, size_t limit) {
  for (;;) {
    while (i < limit && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i + 1 < limit && text[i] == '-' && text[i + 1] == '-') {
      while (i < limit && text[i] != '\n') ++i;
      continue;
    }
    if (i + 1 < limit && text[i] == '/' && text[i + 1] == '*') {
      size_t e = text.find("*/", i + 2);
      if (e == std::string::npos || e >= limit) return {std::string::npos, std::string::npos};
      i = e + 2;
      continue;
    }
    break;
  }
  if (i >= limit) return {std::string::npos, std::string::npos};
  if (text[i] == '`') {
    size_t j = i + 1;
    while (j < limit) {
      if (text[j] == '`') {
        if (j + 1 < limit && text[j + 1] == '`') {
          j += 2;
          continue;
        }
        return {i, j + 1};
      }
      ++j;
    }
    return {std::string::npos, std::string::npos};
  }
  size_t j = i;
  while (j < limit && word_char(text[j])) ++j;
  if (j == i) return {std::string::npos, std::string::npos};
  return {i, j};
}
}  // namespace

Span declared_name_span(const SourceManager& sources, Span statement) {
  if (!statement.valid || statement.file >= sources.file_count()) return statement;
  const std::string& text = sources.text(statement.file);
  size_t limit = std::min<size_t>(statement.end, text.size());
  size_t i = statement.begin;
  std::pair<size_t, size_t> tok{i, i};
  for (int k = 0; k < 3; ++k) {
    tok = next_word(text, i, limit);
    if (tok.first == std::string::npos) return statement;
    if (k == 0 && !iequals(std::string_view(text).substr(tok.first, tok.second - tok.first), "create"))
      return statement;
    i = tok.second;
  }
  return Span::at(statement.file, static_cast<uint32_t>(tok.first), static_cast<uint32_t>(tok.second));
}

std::vector<const PipelineDef*> pipelines_writing(const BoundScript& script, const SinkDef& sink) {
  std::vector<const PipelineDef*> out;
  for (const auto& p : script.pipelines)
    if (p->sink == &sink) out.push_back(p.get());
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_true(const BoundExpr& e) {
  return e.is_constant() && !e.value.is_null && e.value.type == TypeId::Boolean && e.value.b;
}
bool is_false(const BoundExpr& e) {
  return e.is_constant() && !e.value.is_null && e.value.type == TypeId::Boolean && !e.value.b;
}
bool is_null_constant(const BoundExpr& e) { return e.is_constant() && e.value.is_null; }

bool has_error_inside(const DiagnosticEngine& diags, const Span& span) {
  if (!span.valid) return false;
  for (const auto& d : diags.diagnostics())
    if (d.severity == Severity::Error && d.span.valid && d.span.file == span.file && d.span.begin >= span.begin &&
        d.span.begin < std::max(span.end, span.begin + 1))
      return true;
  return false;
}

}  // namespace pipec::check
