#include "compiler/diagnostics/render.h"

#include <algorithm>

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
  // Tabs become single spaces so the caret lines up.
  std::string shown(line);
  std::replace(shown.begin(), shown.end(), '\t', ' ');
  out += "  " + shown + "\n";
  uint32_t col0 = lc.column - 1;
  uint32_t width = 1;
  if (span.end > span.begin) {
    LineColumn end = sm.line_column(span.file, span.end);
    width = end.line == lc.line ? std::max<uint32_t>(1, end.column - lc.column)
                                : std::max<uint32_t>(1, static_cast<uint32_t>(line.size()) - col0);
  }
  out += "  " + std::string(col0, ' ');
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
      LineColumn b = sm.line_column(d.span.file, d.span.begin);
      LineColumn e = sm.line_column(d.span.file, std::max(d.span.end, d.span.begin + 1));
      w.key("locations").begin_array().begin_object().key("physicalLocation").begin_object();
      w.key("artifactLocation").begin_object().field("uri", sm.path(d.span.file)).end_object();
      w.key("region").begin_object()
          .field("startLine", b.line)
          .field("startColumn", b.column)
          .field("endLine", e.line)
          .field("endColumn", e.column)
          .end_object();
      w.end_object().end_object().end_array();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object().end_array().end_object();
  return w.take() + "\n";
}

}  // namespace pipec
