// SELECT: computes the output columns of every live row into a batch of its
// own. Bare column references are copied slot to slot (strings keep pointing
// at the input's bytes, valid for the push); every other expression goes
// through the reference evaluator. Row bookkeeping (status, raw record,
// position) is carried over unchanged.
#pragma once

#include <memory>

#include "runtime/interpret/row_evaluator.h"
#include "runtime/operators/operator.h"

namespace pipec {

class ProjectOperator : public Operator {
 public:
  explicit ProjectOperator(const LogicalProject& plan, uint32_t batch_capacity = kDefaultBatchCapacity);
  const char* name() const override { return "Project"; }
  void push(Batch& batch, ExecContext& ctx) override;

 private:
  RowEvaluator eval_;
  std::vector<int> passthrough_;  // input column of a bare column reference, else -1
  std::unique_ptr<Batch> out_;
  StringArena scratch_;
};

// Copies size, raw records, positions, statuses and reasons of `from` into
// `to` (which must have at least from.size capacity) and retains its chunks.
void copy_row_bookkeeping(const Batch& from, Batch& to);

}  // namespace pipec
