// Small helpers shared by the lints, the contract check and the mapping
// builder.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/bind/bound_script.h"
#include "compiler/diagnostics/diagnostic.h"

namespace pipec::check {

// The span of the declared name in `CREATE <KIND> name ...` given the span of
// the whole statement (the bound model keeps statement spans); the statement
// span itself when the text does not have that shape.
Span declared_name_span(const SourceManager& sources, Span statement);

// Pipelines that write to `sink` (by address), in script order.
std::vector<const PipelineDef*> pipelines_writing(const BoundScript& script, const SinkDef& sink);

bool iequals(std::string_view a, std::string_view b);
std::string lower(std::string_view s);
std::string upper(std::string_view s);

// True when the expression is the constant TRUE / FALSE / NULL.
bool is_true(const BoundExpr& e);
bool is_false(const BoundExpr& e);
bool is_null_constant(const BoundExpr& e);

// Whether an error was already reported inside `span` (the binder reported
// this construct: a lint or check stays quiet about it).
bool has_error_inside(const DiagnosticEngine& diags, const Span& span);

}  // namespace pipec::check

namespace pipec::check {

// Calls f(const BoundExpr&, const char* where) for the root of every bound
// expression in the script: source/table constraints and dedup keys,
// pipeline WHERE, join keys and residuals, window time, group keys,
// aggregates, HAVING, outputs, pipeline constraints and dedup keys.
template <typename F>
void for_each_root_expression(const BoundScript& script, F&& f) {
  for (const auto& r : script.relations) {
    for (const auto& c : r->constraints)
      if (c.expr) f(*c.expr, "constraint");
    for (const auto& d : r->dedups)
      for (const auto& k : d.keys)
        if (k) f(*k, "DEDUPLICATE");
  }
  for (const auto& p : script.pipelines) {
    if (p->where) f(*p->where, "WHERE");
    for (const auto& j : p->joins) {
      for (const auto& k : j.stream_keys)
        if (k) f(*k, "JOIN");
      if (j.residual) f(*j.residual, "JOIN");
    }
    if (p->window && p->window->time) f(*p->window->time, "window");
    for (const auto& k : p->group_keys)
      if (k) f(*k, "GROUP BY");
    for (const auto& a : p->aggregates)
      if (a) f(*a, "aggregate");
    if (p->having) f(*p->having, "HAVING");
    for (const auto& o : p->outputs)
      if (o.expr) f(*o.expr, "SELECT");
    for (const auto& c : p->constraints)
      if (c.expr) f(*c.expr, "constraint");
    for (const auto& d : p->dedups)
      for (const auto& k : d.keys)
        if (k) f(*k, "DEDUPLICATE");
  }
}

}  // namespace pipec::check
