#include "compiler/diagnostics/render.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "runtime/common/json_writer.h"

namespace pipec {

namespace {

const char* color_of(Severity s) {
  switch (s) {
    case Severity::Error: return "\033[1;31m";
    case Severity::Warning: return "\033[1;35m";
    case Severity::Note: return "\033[1;36m";
  }
  return "";
}

void render_location(std::string& out, const SourceManager& sm, const Span& span,
                     const char* severity, const char* color, const std::string& message,
                     const char* kind, bool use_color) {
  const char* bold = use_color ? "\033[1m" : "";
  const char* reset = use_color ? "\033[0m" : "";
  if (!span.valid) {
    out += fmt::format("{}pipec: {}{}{}:{} {}", bold, use_color ? color : "", severity, reset, bold, message);
    if (kind) out += fmt::format(" [{}]", kind);
    out += fmt::format("{}\n", reset);
    return;
  }
  LineColumn lc = sm.line_column(span.file, span.begin);
  out += fmt::format("{}{}:{}:{}: {}{}{}:{} {}", bold, sm.path(span.file), lc.line, lc.column,
                     use_color ? color : "", severity, reset, bold, message);
  if (kind) out += fmt::format(" [{}]", kind);
  out += fmt::format("{}\n", reset);

  std::string_view line = sm.line_text(span.file, lc.line);
  // One glyph per column as line_column counts them (a lead byte and its
  // continuation bytes). Tabs and control characters show as one space and
  // invalid UTF-8 as U+FFFD, so the caret lines up and the output is UTF-8.
  std::vector<std::string> glyphs;
  for (size_t i = 0; i < line.size();) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    size_t len = 1;
    while (i + len < line.size() && (static_cast<unsigned char>(line[i + len]) & 0xC0) == 0x80) ++len;
    if ((c & 0xC0) == 0x80) {  // stray continuation bytes: no column of their own
      i += len;
      continue;
    }
    size_t want = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (c < 0x20 || c == 0x7f) glyphs.emplace_back(" ");
    else if (want != len) glyphs.emplace_back("\xEF\xBF\xBD");
    else glyphs.emplace_back(line.substr(i, len));
    i += len;
  }
  const size_t n = glyphs.size();
  size_t col0 = std::min<size_t>(lc.column - 1, n);
  size_t width = 1;
  if (span.end > span.begin) {
    LineColumn end = sm.line_column(span.file, span.end);
    width = end.line == lc.line && end.column > lc.column ? end.column - lc.column : n > col0 ? n - col0 : 1;
  }
  // Long lines show a window around the caret.
  constexpr size_t kWindow = 150, kBefore = 50;
  size_t start = 0, stop = n;
  if (n > kWindow) {
    start = col0 > kBefore ? col0 - kBefore : 0;
    stop = std::min(n, start + kWindow);
  }
  std::string prefix = start > 0 ? "..." : "";
  std::string shown = prefix;
  for (size_t i = start; i < stop; ++i) shown += glyphs[i];
  if (stop < n) shown += "...";
  out += "  " + shown + "\n";
  width = std::max<size_t>(1, std::min(width, stop > col0 ? stop - col0 : 1));
  out += "  " + std::string(prefix.size() + col0 - start, ' ');
  if (use_color) out += "\033[1;32m";
  out += "^" + std::string(width - 1, '~');
  if (use_color) out += "\033[0m";
  out += "\n";
}

}  // namespace

std::string render_text(const DiagnosticEngine& diags, TextRenderOptions options) {
  std::string out;
  const SourceManager& sm = diags.sources();
  for (const Diagnostic& d : diags.diagnostics()) {
    render_location(out, sm, d.span, severity_name(d.severity), color_of(d.severity), d.message,
                    diag_info(d.kind).name, options.color);
    if (!d.hint.empty()) out += "  hint: " + d.hint + "\n";
    for (const auto& [span, note] : d.notes)
      render_location(out, sm, span, "note", color_of(Severity::Note), note, nullptr, options.color);
  }
  size_t errors = diags.error_count();
  size_t warnings = std::count_if(diags.diagnostics().begin(), diags.diagnostics().end(),
                                  [](const Diagnostic& d) { return d.severity == Severity::Warning; });
  if (errors || warnings) {
    std::string summary;
    if (warnings) summary += fmt::format("{} warning{}", warnings, warnings == 1 ? "" : "s");
    if (warnings && errors) summary += " and ";
    if (errors) summary += fmt::format("{} error{}", errors, errors == 1 ? "" : "s");
    out += summary + " generated.\n";
  }
  return out;
}

namespace {
void write_span(JsonWriter& w, const SourceManager& sm, const Span& span) {
  if (!span.valid) {
    w.null();
    return;
  }
  LineColumn b = sm.line_column(span.file, span.begin);
  LineColumn e = sm.line_column(span.file, span.end);
  w.begin_object()
      .field("file", sm.path(span.file))
      .field("line", b.line)
      .field("column", b.column)
      .field("end_line", e.line)
      .field("end_column", e.column)
      .end_object();
}
}  // namespace

std::string render_json(const DiagnosticEngine& diags) {
  JsonWriter w;
  w.begin_object().key("diagnostics").begin_array();
  for (const Diagnostic& d : diags.diagnostics()) {
    w.begin_object()
        .field("kind", diag_info(d.kind).name)
        .field("severity", severity_name(d.severity))
        .field("phase", diag_info(d.kind).phase)
        .field("message", d.message);
    w.key("location");
    write_span(w, diags.sources(), d.span);
    if (!d.hint.empty()) w.field("hint", d.hint);
    if (!d.notes.empty()) {
      w.key("notes").begin_array();
      for (const auto& [span, note] : d.notes) {
        w.begin_object().field("message", note).key("location");
        write_span(w, diags.sources(), span);
        w.end_object();
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  w.field("errors", static_cast<uint64_t>(diags.error_count()));
  w.end_object();
  return w.take() + "\n";
}

namespace {
// artifactLocation.uri: a relative reference (to the current directory, the
// repository root in CI) when the file is below it, else a file:// URI;
// normalized, '/'-separated and percent-encoded either way.
std::string sarif_uri(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  fs::path p(path);
  bool relative = false;
  std::string text = path;
  if (!ec) {
    fs::path abs = (p.is_absolute() ? p : cwd / p).lexically_normal();
    fs::path rel = abs.lexically_relative(cwd);
    relative = !rel.empty() && rel.native().rfind("..", 0) != 0;
    text = relative ? rel.generic_string() : abs.generic_string();
  }
  std::string out = relative || text.empty() || text[0] != '/' ? "" : "file://";
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') out.push_back(static_cast<char>(c));
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

void write_sarif_location(JsonWriter& w, const SourceManager& sm, const Span& span) {
  LineColumn b = sm.line_column(span.file, span.begin);
  LineColumn e = sm.line_column(span.file, std::max(span.end, span.begin + 1));
  if (e.line < b.line || (e.line == b.line && e.column < b.column)) e = b;
  w.key("physicalLocation").begin_object();
  w.key("artifactLocation").begin_object().field("uri", sarif_uri(sm.path(span.file))).end_object();
  w.key("region").begin_object()
      .field("startLine", b.line)
      .field("startColumn", b.column)
      .field("endLine", e.line)
      .field("endColumn", e.column)
      .end_object();
  w.end_object();
}
}  // namespace

std::string render_sarif(const DiagnosticEngine& diags, const std::string& tool_version) {
  const SourceManager& sm = diags.sources();
  JsonWriter w;
  w.begin_object()
      .field("$schema", "https://json.schemastore.org/sarif-2.1.0.json")
      .field("version", "2.1.0")
      .key("runs")
      .begin_array()
      .begin_object();
  // tool.driver.rules: every kind, so ruleIndex is stable across runs.
  w.key("tool").begin_object().key("driver").begin_object()
      .field("name", "pipec")
      .field("version", tool_version)
      .field("informationUri", "https://github.com/pipec/pipec")
      .key("rules").begin_array();
  for (DiagKind k : all_diag_kinds()) {
    const DiagKindInfo& info = diag_info(k);
    w.begin_object().field("id", info.name).field("name", info.name);
    w.key("shortDescription").begin_object().field("text", info.message).end_object();
    w.key("defaultConfiguration").begin_object()
        .field("level", info.severity == Severity::Error ? "error"
                        : info.severity == Severity::Warning ? "warning" : "note")
        .end_object();
    w.key("properties").begin_object().field("phase", info.phase).end_object();
    w.end_object();
  }
  w.end_array().end_object().end_object();

  w.key("results").begin_array();
  for (const Diagnostic& d : diags.diagnostics()) {
    const DiagKindInfo& info = diag_info(d.kind);
    w.begin_object()
        .field("ruleId", info.name)
        .field("ruleIndex", static_cast<uint64_t>(d.kind))
        .field("level", d.severity == Severity::Error ? "error"
                        : d.severity == Severity::Warning ? "warning" : "note");
    std::string text = d.message;
    if (!d.hint.empty()) text += " (" + d.hint + ")";
    w.key("message").begin_object().field("text", text).end_object();
    if (d.span.valid) {
      w.key("locations").begin_array().begin_object();
      write_sarif_location(w, sm, d.span);
      w.end_object().end_array();
    }
    bool any_note = false;
    for (const auto& [span, note] : d.notes) any_note |= span.valid;
    if (any_note) {
      w.key("relatedLocations").begin_array();
      uint64_t id = 0;
      for (const auto& [span, note] : d.notes) {
        if (!span.valid) continue;
        w.begin_object().field("id", id++);
        write_sarif_location(w, sm, span);
        w.key("message").begin_object().field("text", note).end_object();
        w.end_object();
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  // Columns count code points (SourceManager::line_column), not UTF-16 units.
  w.field("columnKind", "unicodeCodePoints");
  w.end_object().end_array().end_object();
  return w.take() + "\n";
}

}  // namespace pipec
