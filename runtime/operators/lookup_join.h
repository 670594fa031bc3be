// [LEFT] JOIN table ON stream keys = table keys [AND residual]: enrichment
// from an in-memory lookup table (runtime/sources/lookup_table.h). Each
// stream row matches at most one table row: the first, in file order, whose
// key equals the row's key values (cast to the table column types; NULL
// keys never match) and for which the residual condition is TRUE. The output
// is the input's columns followed by the table's; an INNER join marks rows
// without a match Filtered (counted as join misses), a LEFT join keeps them
// with NULL table columns.
#pragma once

#include <memory>

#include "runtime/interpret/row_evaluator.h"
#include "runtime/operators/operator.h"
#include "runtime/sources/lookup_table.h"

namespace pipec {

class LookupJoinOperator : public Operator {
 public:
  // `table`: null to load the plan's table at open().
  explicit LookupJoinOperator(const LogicalLookupJoin& plan, std::shared_ptr<LookupTable> table = nullptr,
                              uint32_t batch_capacity = kDefaultBatchCapacity);
  const char* name() const override { return "LookupJoin"; }
  void open(ExecContext& ctx) override;
  void push(Batch& batch, ExecContext& ctx) override;

  const LookupTable& table() const { return *table_; }

 private:
  const LogicalLookupJoin& plan_;
  std::shared_ptr<LookupTable> table_;
  size_t child_width_;
  RowEvaluator keys_;      // stream-side key expressions over the child's columns
  RowEvaluator residual_;  // over child columns + table columns (may be empty)
  std::unique_ptr<Batch> out_;
  StringArena scratch_;
  std::string key_;
};

}  // namespace pipec
