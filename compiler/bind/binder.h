// Binds a parsed script: every definition is checked independently so one
// run reports every independent error of the file.
#pragma once

#include "compiler/bind/bound_script.h"
#include "compiler/diagnostics/diagnostic.h"
#include "compiler/syntax/ast.h"

namespace pipec {

BoundScript bind_script(const ast::Script& script, DiagnosticEngine& diags);

}  // namespace pipec
