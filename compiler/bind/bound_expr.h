// Typed, resolved expressions: the binder's output and the IR every later
// phase (optimizer, lowering, codegen, reference evaluator) works on.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/diagnostics/source_manager.h"
#include "compiler/syntax/ast.h"
#include "runtime/common/value.h"
#include "stdlib/catalogue.h"

namespace pipec {

enum class BoundKind {
  Constant,     // value
  Column,       // input column `column` of the operator evaluating this expression
  FieldAccess,  // children[0] . field_path (ROW navigation; pruned into decode paths)
  Cast,         // CAST(children[0] AS type); failures yield NULL (documented)
  Negate,       // - children[0]
  Not,          // NOT children[0]
  Arithmetic,   // children[0] op children[1]: + - * / %; overflow and /0 yield NULL
  Compare,      // children[0] op children[1]: = <> < <= > >=
  And,          // SQL three-valued AND over children (2+)
  Or,           // SQL three-valued OR over children (2+)
  IsNull,       // children[0] IS [NOT] NULL           (negated)
  IsTrue,       // children[0] IS [NOT] TRUE|FALSE     (bool_value, negated)
  Case,         // children: cond1, result1, cond2, result2, ..., [else]   (has_else)
  Call,         // function(children...)
  Secret,       // secret('NAME'), resolved from the environment at run time
  Aggregate,    // aggregate(children...) inside a window
  WindowStart,  // window_start of the current window
  WindowEnd,    // window_end
};

enum class AggregateKind { CountStar, Count, CountDistinct, Sum, Avg, Min, Max };
const char* aggregate_name(AggregateKind k);

struct BoundExpr;
using BoundExprPtr = std::shared_ptr<BoundExpr>;

struct BoundExpr {
  BoundKind kind = BoundKind::Constant;
  TypePtr type;
  bool nullable = true;
  Span span;

  Value value;                          // Constant
  int column = -1;                      // Column
  std::string name;                     // Column: its name; Secret: the variable; FieldAccess: dotted path
  std::vector<std::string> field_path;  // FieldAccess
  ast::Op op = ast::Op::Add;            // Arithmetic / Compare
  bool negated = false;                 // IsNull / IsTrue
  bool bool_value = true;               // IsTrue: TRUE or FALSE
  bool has_else = false;                // Case
  const ScalarFunction* function = nullptr;         // Call
  const FunctionOverload* overload = nullptr;       // Call
  AggregateKind aggregate = AggregateKind::CountStar;  // Aggregate
  std::vector<BoundExprPtr> children;

  bool is_constant() const { return kind == BoundKind::Constant; }
};

BoundExprPtr make_constant(Value v, Span span = {});
BoundExprPtr make_column(int index, std::string name, TypePtr type, bool nullable, Span span = {});
BoundExprPtr make_cast(BoundExprPtr child, TypePtr to);
BoundExprPtr make_and(std::vector<BoundExprPtr> terms);

// SQL text of an expression, for explain and messages ("amount > 0").
std::string to_sql(const BoundExpr& e);
// Structural hash and equality (plan cache keys, common subexpressions).
size_t hash_expr(const BoundExpr& e);
bool same_expr(const BoundExpr& a, const BoundExpr& b);

// Visits every node (pre-order).
template <typename F>
void visit_expr(const BoundExpr& e, F&& f) {
  f(e);
  for (const auto& c : e.children) visit_expr(*c, f);
}
// Rebuilds a tree bottom-up; `f` may return a replacement for each node.
BoundExprPtr rewrite_expr(const BoundExprPtr& e, const std::function<BoundExprPtr(const BoundExprPtr&)>& f);

bool contains_kind(const BoundExpr& e, BoundKind kind);
// The input columns an expression reads.
std::vector<int> referenced_columns(const BoundExpr& e);

}  // namespace pipec
