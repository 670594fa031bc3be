// Lints: warnings about scripts that bind cleanly but will misbehave in
// production (duplicated documents on replay, windows that never close,
// credentials in the repository, unbounded state, constraints that check
// nothing). `pipec check` runs every registered lint after binding.
//
// One file per lint; adding a lint = a file defining its run function + one
// registration line in lint_registry.cpp. Each lint reports Warning-severity
// diagnostics of its own kind (diagnostic_kinds.def, phase "lint") with a
// precise span and a hint.
#pragma once

#include <vector>

#include "compiler/bind/bound_script.h"
#include "compiler/diagnostics/diagnostic.h"

namespace pipec {

struct Lint {
  const char* name;         // kebab-case, e.g. "window-without-watermark"
  const char* description;  // one line, for `pipec check --list-lints`
  void (*run)(const BoundScript& script, DiagnosticEngine& diags);
};

const std::vector<Lint>& all_lints();

// Runs every lint over a bound script. Lints never fail on partially bound
// scripts (a script with bind errors is linted too: every independent problem
// is reported in one run).
void run_lints(const BoundScript& script, DiagnosticEngine& diags);

// Lint entry points (one file each).
void lint_window_without_watermark(const BoundScript& script, DiagnosticEngine& diags);
void lint_nondeterministic_id(const BoundScript& script, DiagnosticEngine& diags);
void lint_plaintext_secret(const BoundScript& script, DiagnosticEngine& diags);
void lint_unbounded_state(const BoundScript& script, DiagnosticEngine& diags);
void lint_constant_constraint(const BoundScript& script, DiagnosticEngine& diags);

}  // namespace pipec
