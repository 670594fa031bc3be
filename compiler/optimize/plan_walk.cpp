#include "compiler/optimize/plan_walk.h"

namespace pipec {

void for_each_expression(LogicalPipeline& plan, const std::function<void(BoundExprPtr&)>& f) {
  for (LogicalOperator* op = plan.root.get(); op; op = op->child.get()) {
    switch (op->type) {
      case LogicalOperatorType::Filter: f(op->as<LogicalFilter>().predicate); break;
      case LogicalOperatorType::Project:
        for (auto& e : op->as<LogicalProject>().exprs) f(e);
        break;
      case LogicalOperatorType::Constraint:
        for (auto& c : op->as<LogicalConstraint>().constraints) f(c.expr);
        break;
      case LogicalOperatorType::Dedup:
        for (auto& k : op->as<LogicalDedup>().keys) f(k);
        break;
      case LogicalOperatorType::LookupJoin: {
        auto& j = op->as<LogicalLookupJoin>();
        for (auto& k : j.stream_keys) f(k);
        if (j.residual) f(j.residual);
        break;
      }
      case LogicalOperatorType::WindowAggregate: {
        auto& w = op->as<LogicalWindowAggregate>();
        if (w.window.time) f(w.window.time);
        for (auto& k : w.keys) f(k);
        for (auto& a : w.aggregates) {
          a = std::make_shared<BoundExpr>(*a);  // aggregates are shared with the bound script
          for (auto& c : a->children) f(c);
        }
        break;
      }
      default: break;
    }
  }
}

void for_each_operator_slot(LogicalPipeline& plan, const std::function<void(std::unique_ptr<LogicalOperator>&)>& f) {
  std::unique_ptr<LogicalOperator>* slot = &plan.root;
  while (*slot) {
    LogicalOperator* before = slot->get();
    f(*slot);
    if (slot->get() != before) continue;  // re-examine the replacement
    slot = &(*slot)->child;
  }
}

BoundExprPtr substitute_columns(const BoundExprPtr& e, const std::vector<BoundExprPtr>& exprs) {
  return rewrite_expr(e, [&](const BoundExprPtr& x) -> BoundExprPtr {
    if (x->kind == BoundKind::Column && x->column >= 0 && static_cast<size_t>(x->column) < exprs.size())
      return exprs[x->column];
    return nullptr;
  });
}

}  // namespace pipec
