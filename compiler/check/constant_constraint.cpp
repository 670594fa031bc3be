// constant-constraint: a constraint whose expression does not depend on the
// row. Constant TRUE — or NULL, since NULL passes (SQL CHECK semantics) —
// checks nothing; constant FALSE is violated by every row, so every row is
// counted, dropped, dead-lettered or fails the pipeline. The expression is
// folded with the optimizer's constant folding (the reference semantics),
// after two rewrites folding cannot see: `x IS [NOT] NULL` on a column that
// can never be NULL, and `x IS NULL OR x IS NOT NULL` (and its negation).
#include <fmt/format.h>

#include "compiler/check/check_util.h"
#include "compiler/check/lint.h"
#include "compiler/optimize/optimizer.h"

namespace pipec {

namespace {

BoundExprPtr simplify(const BoundExprPtr& e, std::string* because) {
  return rewrite_expr(e, [&](const BoundExprPtr& x) -> BoundExprPtr {
    if (x->kind == BoundKind::IsNull && x->children.size() == 1 && !x->children[0]->nullable &&
        !x->children[0]->is_constant()) {
      if (because->empty()) *because = "'" + to_sql(*x->children[0]) + "' is never NULL";
      return make_constant(Value::boolean(x->negated), x->span);
    }
    if ((x->kind == BoundKind::Or || x->kind == BoundKind::And) && x->children.size() >= 2) {
      // p IS NULL OR p IS NOT NULL is TRUE; p IS NULL AND p IS NOT NULL is FALSE.
      for (size_t i = 0; i < x->children.size(); ++i) {
        const BoundExpr& a = *x->children[i];
        if (a.kind != BoundKind::IsNull) continue;
        for (size_t j = i + 1; j < x->children.size(); ++j) {
          const BoundExpr& b = *x->children[j];
          if (b.kind == BoundKind::IsNull && b.negated != a.negated && same_expr(*a.children[0], *b.children[0])) {
            if (because->empty())
              *because = "'" + to_sql(a) + (x->kind == BoundKind::Or ? " OR " : " AND ") + to_sql(b) + "' is always " +
                         (x->kind == BoundKind::Or ? "TRUE" : "FALSE");
            return make_constant(Value::boolean(x->kind == BoundKind::Or), x->span);
          }
        }
      }
    }
    return nullptr;
  });
}

const char* consequence(ViolationAction a) {
  switch (a) {
    case ViolationAction::Warn: return "every row will be counted as a violation";
    case ViolationAction::DropRow: return "every row will be dropped";
    case ViolationAction::DeadLetter: return "every row will be dead-lettered";
    case ViolationAction::FailPipeline: return "the pipeline will fail on its first row";
  }
  return "every row violates it";
}

void check_constraints(const std::vector<ConstraintInfo>& constraints, DiagnosticEngine& diags) {
  for (const auto& c : constraints) {
    if (!c.expr || c.origin == "not null") continue;  // generated from NOT NULL columns
    std::string because;
    BoundExprPtr folded = fold_expression(simplify(c.expr, &because));
    if (!folded || !folded->is_constant()) continue;
    Span span = c.expr->span.valid ? c.expr->span : c.span;
    if (check::is_false(*folded)) {
      auto& d = diags.report(DiagKind::ConstantConstraint, span, c.name,
                             std::string("always fails: ") + consequence(c.action));
      d.hint = because.empty() ? "'" + to_sql(*c.expr) + "' is FALSE for every row; check the condition"
                               : because + "; check the condition";
    } else if (check::is_true(*folded)) {
      auto& d = diags.report(DiagKind::ConstantConstraint, span, c.name, "can never fail");
      d.hint = because.empty() ? "'" + to_sql(*c.expr) + "' is TRUE for every row: remove it or fix the condition"
                               : because + ": remove the constraint or fix the condition";
    } else if (check::is_null_constant(*folded)) {
      auto& d = diags.report(DiagKind::ConstantConstraint, span, c.name, "can never fail");
      d.hint = "'" + to_sql(*c.expr) + "' is NULL for every row, and NULL passes a constraint";
    }
  }
}

}  // namespace

void lint_constant_constraint(const BoundScript& script, DiagnosticEngine& diags) {
  for (const auto& r : script.relations) check_constraints(r->constraints, diags);
  for (const auto& p : script.pipelines) check_constraints(p->constraints, diags);
}

}  // namespace pipec
