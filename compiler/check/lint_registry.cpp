#include "compiler/check/lint.h"

namespace pipec {

const std::vector<Lint>& all_lints() {
  static const std::vector<Lint> lints = {
      {"window-without-watermark", "event-time windows over a source without WATERMARK never close",
       &lint_window_without_watermark},
      {"nondeterministic-id", "sinks without 'document.id' duplicate documents when a pipeline replays",
       &lint_nondeterministic_id},
      {"plaintext-secret", "credentials written in plain text instead of secret('ENV_VAR')", &lint_plaintext_secret},
      {"unbounded-state", "DEDUPLICATE without WITHIN keeps every key forever", &lint_unbounded_state},
      {"constant-constraint", "constraints that can never fail, or that every row violates",
       &lint_constant_constraint},
  };
  return lints;
}

void run_lints(const BoundScript& script, DiagnosticEngine& diags) {
  for (const Lint& lint : all_lints()) lint.run(script, diags);
}

}  // namespace pipec
