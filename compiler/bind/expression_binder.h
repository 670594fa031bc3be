// Binds AST expressions against a scope of columns: name resolution, type
// inference, implicit casts (docs/language.md, "Types and casts"), function
// overload resolution, aggregates. Errors are reported, and binding returns
// nullptr for the failed subtree so the caller reports nothing further.
#pragma once

#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/bind/bound_script.h"
#include "compiler/diagnostics/diagnostic.h"

namespace pipec {

// Positions of a scope's columns by name (exact and case-folded) and its
// relation names: binding a reference costs the same whatever the width of
// the scope (a 4 MiB script can declare a relation with 300k columns, and a
// linear scan per reference made binding it quadratic).
class ScopeIndex {
 public:
  explicit ScopeIndex(const std::vector<ScopeColumn>& scope);
  const std::vector<ScopeColumn>& scope() const { return scope_; }
  const std::vector<int>& exact(const std::string& name) const;
  const std::vector<int>& folded(const std::string& name) const;  // case-insensitive
  bool has_relation(const std::string& name) const;               // case-insensitive

 private:
  const std::vector<ScopeColumn>& scope_;
  std::unordered_map<std::string, std::vector<int>> exact_, folded_;
  std::unordered_set<std::string> relations_;
};

class ExpressionBinder {
 public:
  ExpressionBinder(DiagnosticEngine& diags, const std::vector<ScopeColumn>& scope, std::string clause)
      : diags_(diags), scope_(scope), clause_(std::move(clause)) {}

  // Aggregates are allowed (and collected here) only when set.
  std::vector<BoundExprPtr>* aggregates = nullptr;
  // window_start / window_end resolve only in grouped SELECT and HAVING.
  bool allow_window_columns = false;
  // Relation names whose definitions failed to parse: stay quiet about them.
  const std::set<std::string>* broken_names = nullptr;
  // An index of this binder's scope (used only when it indexes the same vector).
  const ScopeIndex* index = nullptr;

  BoundExprPtr bind(const ast::Expr& e);
  // Binds and requires BOOLEAN ("WHERE must be BOOLEAN").
  BoundExprPtr bind_condition(const ast::Expr& e, const char* what);

  DiagnosticEngine& diags() { return diags_; }

 private:
  BoundExprPtr bind_literal(const ast::Expr& e);
  BoundExprPtr bind_column(const ast::Expr& e);
  BoundExprPtr bind_field_access(const ast::Expr& e);
  BoundExprPtr bind_unary(const ast::Expr& e);
  BoundExprPtr bind_binary(const ast::Expr& e);
  BoundExprPtr bind_arithmetic(const ast::Expr& e, BoundExprPtr l, BoundExprPtr r);
  BoundExprPtr bind_comparison(const ast::Op op, Span span, BoundExprPtr l, BoundExprPtr r);
  BoundExprPtr bind_case(const ast::Expr& e);
  BoundExprPtr bind_cast(const ast::Expr& e);
  BoundExprPtr bind_call(const ast::Expr& e);
  BoundExprPtr bind_aggregate(const ast::Expr& e);
  BoundExprPtr call(const ScalarFunction& fn, std::vector<BoundExprPtr> args, Span span, Span name_span);
  BoundExprPtr require_boolean(BoundExprPtr e, const char* what);

  DiagnosticEngine& diags_;
  const std::vector<ScopeColumn>& scope_;
  std::string clause_;
  bool inside_aggregate_ = false;
};

// Shared type rules -----------------------------------------------------------

// The type both operands are converted to for comparison, CASE branches,
// IN lists and COALESCE: NULL -> anything, BIGINT -> DOUBLE, and a STRING
// constant -> TIMESTAMP when compared with a TIMESTAMP. nullptr if none.
TypePtr common_type(const BoundExpr& a, const BoundExpr& b);
// Inserts a cast to `to` when needed (constants are converted in place).
BoundExprPtr coerce(BoundExprPtr e, const TypePtr& to);
bool can_cast_explicitly(const Type& from, const Type& to);
// Implicit conversions allowed for function arguments and sink columns.
bool can_cast_implicitly(const BoundExpr& from, TypeId to);

// Resolves a data type as written in DDL or CAST; reports unknown names.
TypePtr resolve_type(const ast::TypeSyntax& t, DiagnosticEngine& diags);
// INTERVAL 'n' UNIT -> milliseconds; nullopt (and a diagnostic) if invalid.
std::optional<int64_t> interval_millis(const ast::Expr& literal, DiagnosticEngine& diags);

}  // namespace pipec
