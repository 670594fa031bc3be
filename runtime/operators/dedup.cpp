#include "runtime/operators/dedup.h"

#include <fmt/format.h>

#include "runtime/interpret/value_io.h"
#include "runtime/state/state_codec.h"

namespace pipec {

DedupOperator::DedupOperator(const LogicalDedup& plan, Options options)
    : Operator(plan.schema), plan_(plan), options_(options), eval_(plan.child->schema, plan.keys) {}

void DedupOperator::expire(int64_t horizon) {
  while (!order_.empty()) {
    const Entry& e = order_.front();
    bool over_cap = seen_.size() > options_.max_keys;
    if (!over_cap && e.time > horizon) break;
    auto it = seen_.find(e.key);
    if (it != seen_.end() && it->second == e.time) {  // not superseded by a newer period
      if (over_cap && e.time > horizon) ++evicted_early_;
      seen_.erase(it);
    }
    order_.pop_front();
  }
}

void DedupOperator::push(Batch& batch, ExecContext& ctx) {
  scratch_.reset();
  ctx.functions.arena = &scratch_;
  const bool event_time = options_.event_time_column >= 0;
  const int64_t within = options_.within_ms.value_or(std::numeric_limits<int64_t>::max());
  for (uint32_t i = 0; i < batch.size; ++i) {
    if (batch.row_status[i] != static_cast<uint8_t>(RowStatus::Live)) continue;
    int64_t t;
    if (event_time) {
      const Vector& ts = batch.columns[options_.event_time_column];
      if (ts.is_valid(i)) {
        t = ts.data<int64_t>()[i];
        if (t > max_event_time_) max_event_time_ = t;
      } else {
        t = max_event_time_ == std::numeric_limits<int64_t>::min() ? 0 : max_event_time_;
      }
    } else {
      t = ctx.processing_time_ms();
    }
    if (options_.within_ms) {
      int64_t now = event_time ? max_event_time_ : t;
      int64_t horizon;
      if (__builtin_sub_overflow(now, within, &horizon) ||
          __builtin_sub_overflow(horizon, options_.watermark_delay_ms, &horizon))
        horizon = std::numeric_limits<int64_t>::min();
      expire(horizon);
    }

    eval_.load(batch, i);
    key_.clear();
    for (size_t k = 0; k < eval_.size(); ++k) append_key(key_, eval_.eval(k, ctx.functions));
    auto it = seen_.find(key_);
    if (it != seen_.end()) {
      int64_t age = t >= it->second ? t - it->second : it->second - t;
      if (!options_.within_ms || age < within) {
        batch.row_status[i] = static_cast<uint8_t>(RowStatus::Filtered);
        ++ctx.stats.deduplicated;
        continue;
      }
      it->second = t;  // expired: the key passes and starts a new period
    } else {
      seen_.emplace(key_, t);
    }
    order_.push_back({t, key_});
    if (seen_.size() > options_.max_keys) expire(std::numeric_limits<int64_t>::min());
  }
  emit(batch, ctx);
}

}  // namespace pipec

namespace pipec {

std::string DedupOperator::state_identity() const {
  std::string id = "deduplicate ON";
  for (const auto& k : plan_.keys) id += fmt::format(" {} {},", to_sql(*k), k->type->to_string());
  if (options_.within_ms) id += fmt::format(" WITHIN {} ms", *options_.within_ms);
  if (options_.event_time_column >= 0)
    id += fmt::format(" in event time (watermark delay {} ms)", options_.watermark_delay_ms);
  else
    id += " in processing time";
  return id;
}

void DedupOperator::save_state(StateWriter& out, const ExecContext& ctx) const {
  const bool event_time = options_.event_time_column >= 0;
  const int64_t now = event_time ? 0 : ctx.processing_time_ms();
  out.i64(max_event_time_);
  out.u64(evicted_early_);
  // The eviction order, with each entry's key live or superseded (a key that
  // started a new period appears again later): saved as it is, so expiry
  // after a restore is exactly what it would have been.
  out.u64(order_.size());
  for (const Entry& e : order_) {
    out.i64(event_time ? e.time : now - e.time);
    out.str(e.key);
  }
  out.u64(seen_.size());
  for (const auto& [key, time] : seen_) {
    out.str(key);
    out.i64(event_time ? time : now - time);
  }
}

void DedupOperator::load_state(StateReader& in, const ExecContext& ctx) {
  const bool event_time = options_.event_time_column >= 0;
  const int64_t now = event_time ? 0 : ctx.processing_time_ms();
  seen_.clear();
  order_.clear();
  max_event_time_ = in.i64();
  evicted_early_ = in.u64();
  for (uint64_t n = in.count(8 + 4); n > 0; --n) {
    int64_t t = in.i64();
    order_.push_back({event_time ? t : now - t, in.str()});
  }
  for (uint64_t n = in.count(4 + 8); n > 0; --n) {
    std::string key = in.str();
    int64_t t = in.i64();
    seen_.emplace(std::move(key), event_time ? t : now - t);
  }
}

}  // namespace pipec
