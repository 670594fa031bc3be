#include "runtime/operators/constraint.h"

namespace pipec {

namespace {
std::vector<BoundExprPtr> exprs_of(const std::vector<ConstraintInfo>& cs) {
  std::vector<BoundExprPtr> out;
  for (const auto& c : cs) out.push_back(c.expr);
  return out;
}
}  // namespace

ConstraintOperator::ConstraintOperator(const LogicalConstraint& plan, std::vector<std::string> sql)
    : Operator(plan.schema),
      owner_(plan.owner),
      constraints_(plan.constraints),
      sql_(std::move(sql)),
      eval_(plan.child->schema, exprs_of(plan.constraints)) {
  sql_.resize(constraints_.size());
  for (size_t i = 0; i < constraints_.size(); ++i) {
    if (sql_[i].empty()) sql_[i] = to_sql(*constraints_[i].expr);
    errors_.push_back("constraint '" + constraints_[i].name + "' violated: " + sql_[i]);
    keys_.push_back("constraint " + constraints_[i].name);
  }
}

void ConstraintOperator::open(ExecContext& ctx) {
  stats_.clear();
  for (size_t i = 0; i < constraints_.size(); ++i) {
    ctx.stats.constraints.push_back({owner_, constraints_[i].name, sql_[i], constraints_[i].action});
    stats_.push_back(&ctx.stats.constraints.back());
  }
}

void ConstraintOperator::push(Batch& batch, ExecContext& ctx) {
  if (stats_.size() != constraints_.size()) open(ctx);
  scratch_.reset();
  ctx.functions.arena = &scratch_;
  for (uint32_t i = 0; i < batch.size; ++i) {
    if (batch.row_status[i] != static_cast<uint8_t>(RowStatus::Live)) continue;
    eval_.load(batch, i);
    for (size_t c = 0; c < constraints_.size(); ++c) {
      ++stats_[c]->checked;
      Value v = eval_.eval(c, ctx.functions);
      if (v.is_null || v.b) continue;
      ++stats_[c]->violations;
      ViolationAction action = constraints_[c].action;
      if (action == ViolationAction::Warn) continue;
      batch.row_reason[i] = static_cast<uint16_t>(c + 1);
      if (action == ViolationAction::DropRow) {
        batch.row_status[i] = static_cast<uint8_t>(RowStatus::Filtered);
        break;
      }
      batch.row_status[i] = static_cast<uint8_t>(RowStatus::DeadLettered);
      if (ctx.dead_letters)
        ctx.dead_letters->add(keys_[c], errors_[c], constraints_[c].name, batch.raw[i].view(), batch.positions[i]);
      if (action == ViolationAction::FailPipeline) {
        ctx.fail("constraint '" + constraints_[c].name + "' (ON VIOLATION FAIL PIPELINE) of " + owner_ +
                 " violated by the record at " + ctx.describe(batch.positions[i]) + ": " + sql_[c]);
        batch.size = i + 1;  // rows after the failing record are not processed
      }
      break;
    }
  }
  emit(batch, ctx);
}

}  // namespace pipec
