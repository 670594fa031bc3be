#include "runtime/operators/lookup_join.h"

#include "runtime/interpret/value_io.h"
#include "runtime/operators/project.h"

namespace pipec {

namespace {
std::vector<PlanColumn> joined_scope(const LogicalLookupJoin& plan) {
  std::vector<PlanColumn> scope = plan.child->schema;
  for (const auto& c : plan.table->columns) scope.push_back({c.name, c.type, true});
  return scope;
}
}  // namespace

LookupJoinOperator::LookupJoinOperator(const LogicalLookupJoin& plan, std::shared_ptr<LookupTable> table,
                                       uint32_t batch_capacity)
    : Operator(plan.schema),
      plan_(plan),
      table_(std::move(table)),
      child_width_(plan.child->schema.size()),
      keys_(plan.child->schema, plan.stream_keys),
      residual_(joined_scope(plan), plan.residual ? std::vector<BoundExprPtr>{plan.residual}
                                                  : std::vector<BoundExprPtr>{}) {
  out_ = std::make_unique<Batch>(physical_types(schema()), batch_capacity);
}

void LookupJoinOperator::open(ExecContext& ctx) {
  if (!table_) table_ = std::make_shared<LookupTable>(LookupTable::load(*plan_.table));
  table_->index_on(plan_.table_keys);
  if (table_->skipped_rows() > 0) {
    std::string msg = "table '" + plan_.table->name + "': skipped " + std::to_string(table_->skipped_rows()) +
                      " unreadable row(s)";
    for (const auto& p : table_->problems()) msg += "\n    " + p;
    ctx.stats.warnings.push_back(msg);
  }
}

void LookupJoinOperator::push(Batch& batch, ExecContext& ctx) {
  if (batch.size > out_->capacity()) out_ = std::make_unique<Batch>(physical_types(schema()), batch.size);
  out_->reset();
  copy_row_bookkeeping(batch, *out_);
  scratch_.reset();
  ctx.functions.arena = &scratch_;
  const auto& table_cols = plan_.table->columns;
  for (uint32_t i = 0; i < batch.size; ++i) {
    for (size_t c = 0; c < child_width_; ++c) copy_slot(batch.columns[c], i, out_->columns[c], i);
    const std::vector<Value>* match = nullptr;
    if (batch.row_status[i] == static_cast<uint8_t>(RowStatus::Live)) {
      keys_.load(batch, i);
      key_.clear();
      bool null_key = false;
      for (size_t k = 0; k < keys_.size(); ++k) {
        Value v = keys_.eval(k, ctx.functions);
        null_key |= v.is_null;
        append_key(key_, cast_value(v, *table_cols[plan_.table_keys[k]].type));
      }
      const std::vector<uint32_t>* candidates = null_key ? nullptr : table_->find(key_);
      if (candidates) {
        if (residual_.size() == 0) {
          match = &table_->row((*candidates)[0]);
        } else {
          residual_.load(batch, i);
          for (uint32_t r : *candidates) {
            const auto& row = table_->row(r);
            std::copy(row.begin(), row.end(), residual_.row().begin() + child_width_);
            if (residual_.is_true(0, ctx.functions)) {
              match = &row;
              break;
            }
          }
        }
      }
      if (!match && !plan_.left) {
        batch.row_status[i] = out_->row_status[i] = static_cast<uint8_t>(RowStatus::Filtered);
        ++ctx.stats.join_misses;
      }
    }
    for (size_t c = 0; c < table_cols.size(); ++c) {
      Vector& col = out_->columns[child_width_ + c];
      if (match) {
        write_value(col, i, (*match)[c], out_->arena);
      } else {
        col.set_null(i);
      }
    }
  }
  emit(*out_, ctx);
}

}  // namespace pipec
