#include "runtime/interpret/row_evaluator.h"

#include <algorithm>

#include "runtime/interpret/value_io.h"

namespace pipec {

RowEvaluator::RowEvaluator(std::vector<PlanColumn> inputs, std::vector<BoundExprPtr> exprs)
    : inputs_(std::move(inputs)), exprs_(std::move(exprs)) {
  for (const auto& e : exprs_) {
    if (!e) continue;
    for (int c : referenced_columns(*e))
      if (c >= 0 && static_cast<size_t>(c) < inputs_.size()) used_.push_back(c);
  }
  std::sort(used_.begin(), used_.end());
  used_.erase(std::unique(used_.begin(), used_.end()), used_.end());
  row_.resize(inputs_.size());
  for (size_t c = 0; c < inputs_.size(); ++c) row_[c] = Value::null(inputs_[c].type->id);
}

void RowEvaluator::load(const Batch& batch, uint32_t row) {
  for (int c : used_) {
    if (static_cast<size_t>(c) >= batch.columns.size()) continue;
    row_[c] = read_value(batch.columns[c], *inputs_[c].type, row);
  }
}

}  // namespace pipec
