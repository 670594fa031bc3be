// Traversal helpers shared by the optimizer passes.
#pragma once

#include <functional>

#include "compiler/plan/logical_plan.h"

namespace pipec {

// Calls f on every expression slot of every operator (mutable).
void for_each_expression(LogicalPipeline& plan, const std::function<void(BoundExprPtr&)>& f);
// Calls f on each owning slot from the root down (the root's slot first); f
// may replace the operator in the slot.
void for_each_operator_slot(LogicalPipeline& plan, const std::function<void(std::unique_ptr<LogicalOperator>&)>& f);
// Replaces Column(i) by exprs[i] (moving an expression below a projection).
BoundExprPtr substitute_columns(const BoundExprPtr& e, const std::vector<BoundExprPtr>& exprs);

}  // namespace pipec
