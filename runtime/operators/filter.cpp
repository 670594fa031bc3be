#include "runtime/operators/filter.h"

namespace pipec {

FilterOperator::FilterOperator(const LogicalFilter& plan)
    : Operator(plan.schema), eval_(plan.child->schema, {plan.predicate}) {}

void FilterOperator::push(Batch& batch, ExecContext& ctx) {
  scratch_.reset();
  ctx.functions.arena = &scratch_;
  for (uint32_t i = 0; i < batch.size; ++i) {
    if (batch.row_status[i] != static_cast<uint8_t>(RowStatus::Live)) continue;
    eval_.load(batch, i);
    if (!eval_.is_true(0, ctx.functions)) {
      batch.row_status[i] = static_cast<uint8_t>(RowStatus::Filtered);
      ++ctx.stats.filtered;
    }
  }
  emit(batch, ctx);
}

}  // namespace pipec
