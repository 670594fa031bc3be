// Renders collected diagnostics: clang-style text, JSON, and SARIF 2.1.0.
#pragma once

#include <string>

#include "compiler/diagnostics/diagnostic.h"

namespace pipec {

struct TextRenderOptions {
  bool color = false;
};

// file:line:col: error: message [Kind]
//   source line
//        ^~~~~
//   hint: did you mean 'amount'?
std::string render_text(const DiagnosticEngine& diags, TextRenderOptions options = {});
std::string render_json(const DiagnosticEngine& diags);
std::string render_sarif(const DiagnosticEngine& diags, const std::string& tool_version);

}  // namespace pipec
