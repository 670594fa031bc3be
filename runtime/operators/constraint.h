// Data-quality constraints (CHECK and CONSTRAINT ... EXPECT), evaluated per
// row in declaration order. A constraint is violated when its expression is
// FALSE; NULL passes (SQL CHECK semantics). Every violation is counted; then
// by action:
//   WARN           counts only; the row goes on and later constraints run
//   DROP ROW       the row is removed (Filtered): acknowledged, not written
//   DEAD LETTER    the row is removed and written to the dead-letter queue
//                  with "constraint '<name>' violated: <expr>"
//   FAIL PIPELINE  as DEAD LETTER, then the run stops: rows before it in the
//                  batch go on to the sink, rows after it are not processed
// A row's evaluation stops at its first violated non-WARN constraint.
#pragma once

#include <string>
#include <vector>

#include "runtime/interpret/row_evaluator.h"
#include "runtime/operators/operator.h"

namespace pipec {

class ConstraintOperator : public Operator {
 public:
  // `sql[i]`: constraint i's expression as written, for messages (the
  // optimizer may have rewritten the plan's copy); empty -> to_sql() of it.
  ConstraintOperator(const LogicalConstraint& plan, std::vector<std::string> sql = {});
  const char* name() const override { return "Constraint"; }
  void open(ExecContext& ctx) override;
  void push(Batch& batch, ExecContext& ctx) override;

 private:
  std::string owner_;
  std::vector<ConstraintInfo> constraints_;
  std::vector<std::string> sql_;
  std::vector<std::string> errors_;  // dead-letter error text per constraint
  std::vector<std::string> keys_;    // dead-letter counting key per constraint
  std::vector<ConstraintStats*> stats_;
  RowEvaluator eval_;
  StringArena scratch_;
};

}  // namespace pipec
