// The reference evaluator: evaluates an operator's bound expressions one row
// at a time through `evaluate()` (compiler/plan/expression_evaluator.h), the
// semantics every other engine is tested against. It converts the columns the
// expressions read into Values, evaluates, and hands back Values; operators
// write results into output vectors with write_value().
//
// Deliberately simple: no vectorization, no caching of results. Correctness
// first — this is the oracle of the JIT's differential tests and the engine
// of `pipec run --no-jit`.
#pragma once

#include <vector>

#include "compiler/plan/expression_evaluator.h"
#include "compiler/plan/logical_plan.h"
#include "runtime/vector/batch.h"

namespace pipec {

class RowEvaluator {
 public:
  RowEvaluator() = default;
  // `inputs`: the schema expressions index (an operator's child schema, plus
  // any columns the operator appends, such as a lookup table's).
  RowEvaluator(std::vector<PlanColumn> inputs, std::vector<BoundExprPtr> exprs);

  size_t size() const { return exprs_.size(); }
  const BoundExpr& expr(size_t i) const { return *exprs_[i]; }

  // Loads the columns the expressions read from row `row` of `batch` into
  // positions [0, batch.columns.size()) of the row; the rest stay NULL.
  void load(const Batch& batch, uint32_t row);
  // The current row's values, for operators that add their own (joins).
  std::vector<Value>& row() { return row_; }

  Value eval(size_t i, FunctionContext& ctx) const { return evaluate(*exprs_[i], row_, ctx); }
  // WHERE / ON semantics: only TRUE passes (NULL and FALSE do not).
  bool is_true(size_t i, FunctionContext& ctx) const {
    Value v = eval(i, ctx);
    return !v.is_null && v.b;
  }

 private:
  std::vector<PlanColumn> inputs_;
  std::vector<BoundExprPtr> exprs_;
  std::vector<int> used_;  // input columns any expression reads
  std::vector<Value> row_;
};

}  // namespace pipec
