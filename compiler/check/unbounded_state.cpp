// unbounded-state: state that only grows. DEDUPLICATE without WITHIN
// remembers every key it has ever seen, so a stream with ever-new keys runs
// out of memory (and checkpoints grow without end). Windows are bounded by
// the watermark (see window-without-watermark) and lookup tables by their
// file, so deduplication is the one unbounded construct today.
#include <fmt/format.h>

#include "compiler/check/check_util.h"
#include "compiler/check/lint.h"

namespace pipec {

namespace {

std::string keys_sql(const DedupInfo& d) {
  std::string out;
  for (const auto& k : d.keys) out += (out.empty() ? "" : ", ") + (k ? to_sql(*k) : std::string("?"));
  return out;
}

void check_dedups(const std::vector<DedupInfo>& dedups, const std::string& owner_kind, const std::string& owner,
           DiagnosticEngine& diags) {
  for (const auto& d : dedups) {
    if (d.within_ms || !d.span.valid || check::has_error_inside(diags, d.span)) continue;
    auto& diag = diags.report(DiagKind::UnboundedState, d.span,
                              fmt::format("DEDUPLICATE ON ({}) in {} '{}'", keys_sql(d), owner_kind, owner));
    diag.hint = "bound it: DEDUPLICATE ON (" + keys_sql(d) +
                ") WITHIN INTERVAL '1' HOUR forgets a key an hour after it was last seen";
  }
}

}  // namespace

void lint_unbounded_state(const BoundScript& script, DiagnosticEngine& diags) {
  for (const auto& r : script.relations) check_dedups(r->dedups, ast::relation_kind_name(r->kind), r->name, diags);
  for (const auto& p : script.pipelines) check_dedups(p->dedups, "pipeline", p->name, diags);
}

}  // namespace pipec
