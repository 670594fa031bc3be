#include "runtime/operators/kernel_operator.h"

#include <algorithm>

#include "runtime/operators/project.h"

namespace pipec {

KernelOperator::KernelOperator(const CompiledKernel& kernel, uint32_t batch_capacity, std::vector<std::string> sql)
    : Operator(kernel.spec.outputs), kernel_(kernel), sql_(std::move(sql)) {
  if (kernel.spec.projects) out_ = std::make_unique<Batch>(physical_types(schema()), batch_capacity);
  sql_.resize(kernel.spec.constraints.size());
  for (size_t c = 0; c < sql_.size(); ++c) {
    const auto& slot = kernel.spec.constraints[c];
    if (sql_[c].empty()) sql_[c] = to_sql(*slot.constraint->expr);
    errors_.push_back("constraint '" + slot.constraint->name + "' violated: " + sql_[c]);
    keys_.push_back("constraint " + slot.constraint->name);
  }
}

void KernelOperator::open(ExecContext& ctx) {
  stats_.clear();
  for (const auto& slot : kernel_.spec.constraints) {
    ctx.stats.constraints.push_back(
        {slot.owner, slot.constraint->name, sql_[stats_.size()], slot.constraint->action});
    stats_.push_back(&ctx.stats.constraints.back());
  }
  violations_.assign(std::max<size_t>(1, stats_.size()), 0);
  checked_.assign(violations_.size(), 0);
}

void KernelOperator::push(Batch& batch, ExecContext& ctx) {
  if (stats_.size() != kernel_.spec.constraints.size()) open(ctx);
  status_before_.assign(batch.row_status.begin(), batch.row_status.begin() + batch.size);
  std::fill(violations_.begin(), violations_.end(), 0);
  std::fill(checked_.begin(), checked_.end(), 0);

  inputs_.clear();
  for (auto& c : batch.columns) inputs_.push_back({c.raw_data(), c.validity()});
  Batch* out = &batch;
  if (out_) {
    if (batch.size > out_->capacity()) out_ = std::make_unique<Batch>(physical_types(schema()), batch.size);
    out_->reset();
    out = out_.get();
    outputs_.clear();
    for (auto& c : out_->columns) outputs_.push_back({c.raw_data(), c.validity()});
  }
  // Result strings may point into the input batch (its arena or chunks); the
  // input outlives this push, which is as long as the output is used.
  ctx.functions.arena = &out->arena;
  PipecKernelArgs args{batch.size, 0, inputs_.data(), out_ ? outputs_.data() : inputs_.data(),
                       batch.row_status.data(), batch.row_reason.data(), violations_.data(), checked_.data(),
                       &ctx.functions, -1};
  kernel_.run(&args);
  if (args.fail_row >= 0) {
    // FAIL PIPELINE: the run ends at the failing record, so rows after it are
    // not processed. Run again over [0, fail_row] from the original statuses
    // so counters and marks cover exactly those rows (as the reference
    // operators do); the kernel is deterministic, the failure recurs.
    std::copy(status_before_.begin(), status_before_.end(), batch.row_status.begin());
    std::fill(violations_.begin(), violations_.end(), 0);
    std::fill(checked_.begin(), checked_.end(), 0);
    args.rows = static_cast<uint32_t>(args.fail_row) + 1;
    args.fail_row = -1;
    kernel_.run(&args);
  }

  for (size_t c = 0; c < stats_.size(); ++c) {
    stats_[c]->violations += violations_[c];
    stats_[c]->checked += checked_[c];
  }
  uint32_t last = args.fail_row >= 0 ? static_cast<uint32_t>(args.fail_row) + 1 : batch.size;
  for (uint32_t i = 0; i < last; ++i) {
    if (status_before_[i] != static_cast<uint8_t>(RowStatus::Live)) continue;
    uint8_t st = batch.row_status[i];
    uint16_t reason = batch.row_reason[i];
    if (st == static_cast<uint8_t>(RowStatus::Filtered) && reason == kFilteredByPredicate) {
      ++ctx.stats.filtered;
    } else if (st == static_cast<uint8_t>(RowStatus::DeadLettered) && reason < keys_.size() && ctx.dead_letters) {
      ctx.dead_letters->add(keys_[reason], errors_[reason], kernel_.spec.constraints[reason].constraint->name,
                            batch.raw[i].view(), batch.positions[i]);
    }
  }
  if (args.fail_row >= 0) {
    const auto& slot = kernel_.spec.constraints[batch.row_reason[args.fail_row]];
    ctx.fail("constraint '" + slot.constraint->name + "' (ON VIOLATION FAIL PIPELINE) of " + slot.owner +
             " violated by the record at " + ctx.describe(batch.positions[args.fail_row]) + ": " +
             sql_[batch.row_reason[args.fail_row]]);
    batch.size = last;  // rows after the failing record are not processed further
  }
  if (out_) {
    copy_row_bookkeeping(batch, *out_);
  }
  emit(*out, ctx);
}

}  // namespace pipec
