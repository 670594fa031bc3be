// Converts an ANTLR parse tree into the pipec AST. Tolerates trees that came
// out of error recovery (missing children are skipped, never dereferenced).
#pragma once

#include "compiler/diagnostics/diagnostic.h"
#include "compiler/syntax/ast.h"

namespace pipec_grammar {
class PipeParser;
}
namespace antlr4 {
class ParserRuleContext;
}

namespace pipec {

// Maximum height of an expression tree. Deeper trees are reported
// (NestingTooDeep) so every later phase may recurse freely.
inline constexpr int kMaxExpressionDepth = 200;

// Appends the statements of one parsed file to `script`. Statements whose
// source range contains a syntax error (error_offsets, in code points) are
// skipped and their names recorded in script.broken_names. byte_offsets maps
// code point index -> byte offset (empty when the file is ASCII).
void build_ast(antlr4::ParserRuleContext* script_tree, FileId file,
               const std::vector<size_t>& error_offsets,
               const std::vector<uint32_t>& byte_offsets, DiagnosticEngine& diags,
               ast::Script& script);

}  // namespace pipec
