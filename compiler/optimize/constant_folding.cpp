// Evaluates constant subexpressions once at compile time with the reference
// semantics, and simplifies AND/OR with constant operands (3VL-correct).
#include "compiler/optimize/optimizer.h"
#include "compiler/optimize/plan_walk.h"
#include "compiler/plan/expression_evaluator.h"

namespace pipec {

namespace {

bool foldable(const BoundExpr& e) {
  switch (e.kind) {
    case BoundKind::Column:
    case BoundKind::FieldAccess:
    case BoundKind::Secret:
    case BoundKind::Aggregate:
    case BoundKind::WindowStart:
    case BoundKind::WindowEnd: return false;
    case BoundKind::Call:
      if (!e.function->deterministic) return false;
      break;
    default: break;
  }
  for (const auto& c : e.children)
    if (!c->is_constant()) return false;
  return e.kind != BoundKind::Constant;
}

bool is_bool(const BoundExpr& e, bool v) { return e.is_constant() && !e.value.is_null && e.value.type == TypeId::Boolean && e.value.b == v; }

}  // namespace

BoundExprPtr fold_expression(const BoundExprPtr& e, int* rewrites) {
  return rewrite_expr(e, [&](const BoundExprPtr& x) -> BoundExprPtr {
    // AND: a FALSE operand decides; TRUE operands drop out. OR symmetrically.
    if (x->kind == BoundKind::And || x->kind == BoundKind::Or) {
      bool is_and = x->kind == BoundKind::And;
      std::vector<BoundExprPtr> kept;
      for (const auto& c : x->children) {
        if (is_bool(*c, !is_and)) {
          if (rewrites) ++*rewrites;
          return make_constant(Value::boolean(!is_and), x->span);
        }
        if (!is_bool(*c, is_and)) kept.push_back(c);
      }
      if (kept.size() != x->children.size()) {
        if (rewrites) ++*rewrites;
        if (kept.empty()) return make_constant(Value::boolean(is_and), x->span);
        if (kept.size() == 1) return kept[0];
        auto copy = std::make_shared<BoundExpr>(*x);
        copy->children = kept;
        return copy;
      }
    }
    if (!foldable(*x)) return nullptr;
    FunctionContext ctx;
    StringArena arena;
    ctx.arena = &arena;
    Value v = evaluate(*x, {}, ctx);
    v.type = x->type->id;
    auto c = make_constant(v, x->span);
    c->type = x->type;
    if (rewrites) ++*rewrites;
    return c;
  });
}

int fold_constants(LogicalPipeline& plan) {
  int rewrites = 0;
  for_each_expression(plan, [&](BoundExprPtr& e) { e = fold_expression(e, &rewrites); });
  // A filter that folded to TRUE disappears.
  for_each_operator_slot(plan, [&](std::unique_ptr<LogicalOperator>& slot) {
    if (slot->type == LogicalOperatorType::Filter && is_bool(*slot->as<LogicalFilter>().predicate, true)) {
      slot = std::move(slot->child);
      ++rewrites;
    }
  });
  return rewrites;
}

}  // namespace pipec
