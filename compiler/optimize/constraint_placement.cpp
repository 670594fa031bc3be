// Pipeline constraints are written over output columns; evaluating them on
// the projection's inputs instead (by substitution) rejects a row before it
// is projected and serialized, and puts every check of a pipeline into the
// same fused kernel as WHERE.
#include "compiler/optimize/optimizer.h"
#include "compiler/optimize/plan_walk.h"

namespace pipec {

int place_constraints(LogicalPipeline& plan) {
  int rewrites = 0;
  for_each_operator_slot(plan, [&](std::unique_ptr<LogicalOperator>& slot) {
    if (slot->type != LogicalOperatorType::Constraint || !slot->child ||
        slot->child->type != LogicalOperatorType::Project)
      return;
    auto constraint = std::move(slot);
    auto project = std::move(constraint->child);
    auto& proj = project->as<LogicalProject>();
    for (auto& c : constraint->as<LogicalConstraint>().constraints) c.expr = substitute_columns(c.expr, proj.exprs);
    constraint->schema = project->child->schema;
    constraint->child = std::move(project->child);
    project->child = std::move(constraint);
    slot = std::move(project);
    ++rewrites;
  });
  return rewrites;
}

}  // namespace pipec
