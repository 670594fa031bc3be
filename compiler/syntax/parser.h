// The front door of the compiler: text -> AST, with syntax diagnostics and
// IMPORTs resolved (relative to the importing file, each file parsed once).
#pragma once

#include <string>

#include "compiler/diagnostics/diagnostic.h"
#include "compiler/syntax/ast.h"

namespace pipec {

inline constexpr size_t kMaxScriptBytes = 4 << 20;

// Parses the file at `path` and everything it imports.
ast::Script parse_file(const std::string& path, SourceManager& sources, DiagnosticEngine& diags);

// Parses `text` as if read from `name` (tests, fuzzing, stdin). IMPORTs are
// resolved relative to the directory of `name`.
ast::Script parse_text(const std::string& name, std::string text, SourceManager& sources,
                       DiagnosticEngine& diags);

}  // namespace pipec
