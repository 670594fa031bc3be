#include "compiler/optimize/optimizer.h"

namespace pipec {

const std::vector<OptimizerPass>& all_optimizer_passes() {
  // Order matters: folding exposes constant filters, pushdown moves WHERE
  // below joins, placement moves pipeline constraints next to their inputs,
  // pruning runs last so the decoder reads only what survived.
  static const std::vector<OptimizerPass> passes = {
      {"constant_folding", "evaluates constant subexpressions at compile time", &fold_constants},
      {"predicate_pushdown", "moves WHERE below lookup joins when it reads only stream columns", &push_down_predicates},
      {"constraint_placement", "evaluates pipeline constraints on the projection's inputs, fused with WHERE",
       &place_constraints},
      {"projection_pruning", "decodes only the JSON fields (and nested paths) the plan uses", &prune_projections},
  };
  return passes;
}

std::vector<PassReport> optimize(LogicalPipeline& plan, const OptimizerOptions& options) {
  std::vector<PassReport> reports;
  for (const auto& pass : all_optimizer_passes()) {
    PassReport r{pass.name, !options.disabled.count(pass.name), 0};
    if (r.enabled) r.rewrites = pass.run(plan);
    reports.push_back(r);
  }
  return reports;
}

}  // namespace pipec
