// The reference semantics of every bound expression, one value at a time.
// Constant folding uses it at compile time; the reference evaluator
// (`pipec run --no-jit`) uses it per row; the JIT is tested against it.
//
// NULL rules (docs/language.md): SQL three-valued logic; integer overflow,
// integer division or any modulo by zero and failed casts yield NULL instead
// of failing the pipeline, so one bad record never stops a stream. DOUBLE
// division is IEEE (x/0 = ±Infinity, 0/0 = NaN), as in DuckDB.
#pragma once

#include <string>
#include <vector>

#include "compiler/bind/bound_expr.h"

namespace pipec {

Value evaluate(const BoundExpr& e, const std::vector<Value>& row, FunctionContext& ctx);

// Individual rules, shared with code that evaluates vectors.
Value cast_value(const Value& v, const Type& to);
// Three-way comparison of two non-NULL values of the same type (NaN sorts
// last and equals NaN, as in DuckDB).
int compare_values(const Value& a, const Value& b);
std::string value_to_string(const Value& v);

}  // namespace pipec
