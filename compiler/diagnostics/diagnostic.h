// Diagnostics: one registry of kinds (diagnostic_kinds.def), an engine that
// collects every independent problem of a run, and renderers (render.h).
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

#include "compiler/diagnostics/source_manager.h"

namespace pipec {

enum class Severity { Error, Warning, Note };

enum class DiagKind {
#define DIAG(kind, severity, phase, message) kind,
#include "compiler/diagnostics/diagnostic_kinds.def"
#undef DIAG
};

struct DiagKindInfo {
  const char* name;     // printed as [Name]; also the SARIF rule id
  Severity severity;
  const char* phase;    // io, parse, bind, lint, contract
  const char* message;  // fmt format string
};
const DiagKindInfo& diag_info(DiagKind kind);
const std::vector<DiagKind>& all_diag_kinds();
const char* severity_name(Severity s);

struct Diagnostic {
  DiagKind kind;
  Severity severity;
  Span span;
  std::string message;
  std::string hint;                                   // "did you mean 'amount'?"
  std::vector<std::pair<Span, std::string>> notes;    // related locations
};

class DiagnosticEngine {
 public:
  explicit DiagnosticEngine(const SourceManager& sources) : sources_(sources) {}

  template <typename... Args>
  Diagnostic& report(DiagKind kind, Span span, Args&&... args) {
    const DiagKindInfo& info = diag_info(kind);
    diags_.push_back(Diagnostic{kind, info.severity, span,
                                fmt::format(fmt::runtime(info.message), std::forward<Args>(args)...),
                                {}, {}});
    return diags_.back();
  }

  const std::vector<Diagnostic>& diagnostics() const { return diags_; }
  std::vector<Diagnostic>& diagnostics() { return diags_; }
  const SourceManager& sources() const { return sources_; }
  size_t error_count() const;
  // "Did you mean" costs an edit distance per candidate; past this many
  // diagnostics nobody reads the hints, and a hostile script (300k unknown
  // columns over a 300k-column source) would make it quadratic.
  bool wants_suggestions() const { return diags_.size() < 256; }
  bool has_errors() const { return error_count() > 0; }
  // Orders by file, then position (rendering is deterministic whatever the phase order).
  void sort();

 private:
  const SourceManager& sources_;
  std::vector<Diagnostic> diags_;
};

// "did you mean" support: the closest candidate by edit distance, or "" when
// nothing is close enough to be a plausible typo.
std::string closest_match(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace pipec
