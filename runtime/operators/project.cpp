#include "runtime/operators/project.h"

#include <algorithm>

#include "runtime/interpret/value_io.h"

namespace pipec {

void copy_row_bookkeeping(const Batch& from, Batch& to) {
  uint32_t n = from.size;
  to.size = n;
  std::copy_n(from.raw.begin(), n, to.raw.begin());
  std::copy_n(from.positions.begin(), n, to.positions.begin());
  std::copy_n(from.row_status.begin(), n, to.row_status.begin());
  std::copy_n(from.row_reason.begin(), n, to.row_reason.begin());
  for (const auto& chunk : from.inputs()) to.retain(chunk);
}

ProjectOperator::ProjectOperator(const LogicalProject& plan, uint32_t batch_capacity)
    : Operator(plan.schema) {
  std::vector<BoundExprPtr> computed;  // null where the column is copied
  for (const auto& e : plan.exprs) {
    bool same_physical = e->kind == BoundKind::Column && e->column >= 0 &&
                         static_cast<size_t>(e->column) < plan.child->schema.size() &&
                         plan.child->schema[e->column].type->physical() == e->type->physical();
    passthrough_.push_back(same_physical ? e->column : -1);
    computed.push_back(same_physical ? nullptr : e);
  }
  eval_ = RowEvaluator(plan.child->schema, std::move(computed));
  out_ = std::make_unique<Batch>(physical_types(schema()), batch_capacity);
}

void ProjectOperator::push(Batch& batch, ExecContext& ctx) {
  if (batch.size > out_->capacity()) out_ = std::make_unique<Batch>(physical_types(schema()), batch.size);
  out_->reset();
  copy_row_bookkeeping(batch, *out_);
  scratch_.reset();
  ctx.functions.arena = &scratch_;
  const size_t width = eval_.size();
  for (uint32_t i = 0; i < batch.size; ++i) {
    if (batch.row_status[i] != static_cast<uint8_t>(RowStatus::Live)) {
      for (size_t k = 0; k < width; ++k) out_->columns[k].set_null(i);
      continue;
    }
    eval_.load(batch, i);
    for (size_t k = 0; k < width; ++k) {
      if (passthrough_[k] >= 0) {
        copy_slot(batch.columns[passthrough_[k]], i, out_->columns[k], i);
      } else {
        write_value(out_->columns[k], i, eval_.eval(k, ctx.functions), out_->arena);
      }
    }
  }
  emit(*out_, ctx);
}

}  // namespace pipec
