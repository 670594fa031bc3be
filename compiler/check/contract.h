// The contract check (`pipec check FILE --baseline OLD_FILE`): compares the
// script a change produces with the one it replaces and names each change
// as its own diagnostic — ContractBreaking (an error) when consumers or
// producers of the pipeline would notice, ContractCompatible (a note) when
// they would not. Sources and tables, sinks and pipelines are matched by
// name (case-insensitively), columns by name, constraints by name.
//
// Breaking:
//   - a source, table, sink or pipeline removed; a relation changing kind
//   - a column removed or retyped; NOT NULL added to an existing column; a
//     new NOT NULL column (old producers do not send it; metadata columns,
//     filled by the connector, are exempt)
//   - a pipeline's output column removed or retyped (the index mapping
//     changes; a ROW gaining fields is compatible); a pipeline writing to
//     another sink
//   - a sink's document id, index, connector changed; a declared sink column
//     removed or retyped
//   - a constraint made stricter: a new DROP ROW / DEAD LETTER / FAIL
//     PIPELINE constraint on an existing source or pipeline, an action
//     escalated (WARN < DROP ROW < DEAD LETTER < FAIL PIPELINE), or a changed
//     condition (compared as SQL text after binding) of a constraint that
//     drops, dead-letters or fails — a WARN-only constraint changing its
//     condition only changes what is counted, which is compatible
// Compatible: a new nullable column, a new output column, a new source,
// table, sink or pipeline, a constraint relaxed or removed, NOT NULL removed,
// a new WARN constraint.
#pragma once

#include "compiler/bind/bound_script.h"
#include "compiler/diagnostics/diagnostic.h"

namespace pipec {

struct ContractOptions {
  // Where removals are reported (they have no place in the new file): the
  // new file's start. Invalid: the first definition's file start, if any.
  Span removal_span;
  // The baseline was parsed into the same SourceManager as `diags`, so its
  // spans can be attached as notes ("declared here in the baseline").
  bool baseline_spans_valid = false;
};

void check_contract(const BoundScript& baseline, const BoundScript& current, DiagnosticEngine& diags,
                    const ContractOptions& options);
void check_contract(const BoundScript& baseline, const BoundScript& current, DiagnosticEngine& diags);

}  // namespace pipec
