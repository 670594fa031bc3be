// WHERE and HAVING: rows whose predicate is not TRUE (FALSE or NULL, SQL
// three-valued logic) are marked Filtered and counted.
#pragma once

#include "runtime/interpret/row_evaluator.h"
#include "runtime/operators/operator.h"

namespace pipec {

class FilterOperator : public Operator {
 public:
  explicit FilterOperator(const LogicalFilter& plan);
  const char* name() const override { return "Filter"; }
  void push(Batch& batch, ExecContext& ctx) override;

 private:
  RowEvaluator eval_;
  StringArena scratch_;
};

}  // namespace pipec
