#include "runtime/operators/window_aggregate.h"

#include <algorithm>

#include <fmt/format.h>

#include "runtime/interpret/value_io.h"
#include "runtime/common/timestamp.h"
#include "runtime/state/state_codec.h"

namespace pipec {

namespace {
int64_t floor_to(int64_t t, int64_t step) {
  int64_t q = t / step;
  if ((t % step != 0) && (t < 0)) --q;
  return q * step;
}

int64_t saturating_sub(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_sub_overflow(a, b, &r) ? (b > 0 ? INT64_MIN : INT64_MAX) : r;
}
int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

std::string iso(int64_t ms) {
  char buf[kMaxIso8601Length];
  return std::string(buf, format_iso8601_millis(ms, buf));
}
}  // namespace

WindowAggregateOperator::WindowAggregateOperator(const LogicalWindowAggregate& plan, uint32_t batch_capacity)
    : Operator(plan.schema), plan_(plan) {
  keys_eval_ = RowEvaluator(plan.child->schema, plan.keys);
  std::vector<BoundExprPtr> args;
  for (const auto& a : plan.aggregates) {
    if (a->children.empty()) {
      arg_index_.push_back(-1);
    } else {
      arg_index_.push_back(static_cast<int>(args.size()));
      args.push_back(a->children[0]);
    }
  }
  args_eval_ = RowEvaluator(plan.child->schema, std::move(args));
  time_column_ = plan.window.time && plan.window.time->kind == BoundKind::Column ? plan.window.time->column : -1;
  out_ = std::make_unique<Batch>(physical_types(schema()), batch_capacity);
}

void WindowAggregateOperator::fold(Group& g, const std::vector<Value>& args) {
  for (size_t a = 0; a < plan_.aggregates.size(); ++a) {
    Accumulator& acc = g.accs[a];
    const BoundExpr& agg = *plan_.aggregates[a];
    if (agg.aggregate == AggregateKind::CountStar) {
      ++acc.count;
      continue;
    }
    const Value& v = args[arg_index_[a]];
    if (v.is_null) continue;  // aggregates ignore NULLs
    ++acc.count;
    switch (agg.aggregate) {
      case AggregateKind::CountDistinct: {
        std::string k;
        append_key(k, v);
        acc.distinct.insert(std::move(k));
        break;
      }
      case AggregateKind::Sum:
      case AggregateKind::Avg:
        if (v.type == TypeId::Double) acc.dsum += v.d;
        else if (__builtin_add_overflow(acc.isum, v.i, &acc.isum)) acc.overflow = true;
        if (v.type != TypeId::Double) acc.dsum += static_cast<double>(v.i);
        break;
      case AggregateKind::Min:
      case AggregateKind::Max:
        if (!acc.any) acc.extreme = v;
        else {
          int c = compare_values(v, acc.extreme);
          if ((agg.aggregate == AggregateKind::Min && c < 0) || (agg.aggregate == AggregateKind::Max && c > 0)) acc.extreme = v;
        }
        break;
      default: break;
    }
    acc.any = true;
  }
}

Value WindowAggregateOperator::result(const Accumulator& acc, size_t a) const {
  const BoundExpr& agg = *plan_.aggregates[a];
  switch (agg.aggregate) {
    case AggregateKind::CountStar:
    case AggregateKind::Count: return Value::bigint(acc.count);
    case AggregateKind::CountDistinct: return Value::bigint(static_cast<int64_t>(acc.distinct.size()));
    case AggregateKind::Sum:
      if (!acc.any || acc.overflow) return Value::null(agg.type->id);
      return agg.type->id == TypeId::Double ? Value::float64(acc.dsum) : Value::bigint(acc.isum);
    case AggregateKind::Avg:
      return acc.any ? Value::float64(acc.dsum / static_cast<double>(acc.count)) : Value::null(TypeId::Double);
    case AggregateKind::Min:
    case AggregateKind::Max: return acc.any ? acc.extreme : Value::null(agg.type->id);
  }
  return Value::null(agg.type->id);
}

void WindowAggregateOperator::assign(int64_t ts, const std::string& key, const std::vector<Value>& keys,
                                     const std::vector<Value>& args, const Batch& batch, uint32_t row,
                                     ExecContext& ctx) {
  const WindowInfo& w = plan_.window;
  auto late = [&](int64_t end) {
    if (end > watermark_) return false;
    if (ctx.dead_letters)
      ctx.dead_letters->add("late event", "late event: its window ending " + iso(end) +
                                              " was already emitted (watermark " + iso(watermark_) + ")",
                            "", batch.raw[row].view(), batch.positions[row]);
    return true;
  };
  // Streaming sources: the window holds its contributors' offsets back
  // until its result is emitted and durable (ExecContext::holds).
  auto contribute = [&](Group& g) {
    fold(g, args);
    if (!ctx.holds) return;
    Ticket t = ctx.holds->acquire(batch.positions[row]);
    if (t.valid()) g.holds.push_back(t);
  };
  auto group_for = [&](int64_t start, int64_t end) -> Group& {
    auto [it, fresh] = groups_.try_emplace(GroupKey{start, end, key});
    if (fresh) {
      it->second.keys = keys;
      it->second.accs.resize(plan_.aggregates.size());
    }
    return it->second;
  };
  switch (w.kind) {
    case WindowInfo::Kind::Tumble: {
      int64_t start = floor_to(ts, w.size_ms);
      int64_t end = saturating_add(start, w.size_ms);
      if (!late(end)) contribute(group_for(start, end));
      break;
    }
    case WindowInfo::Kind::Hop: {
      int64_t last = floor_to(ts, w.slide_ms);
      const int64_t windows = w.size_ms / w.slide_ms;
      for (int64_t k = 0, start = last; k < windows; ++k, start = saturating_sub(start, w.slide_ms)) {
        int64_t end = saturating_add(start, w.size_ms);
        if (end <= ts) break;
        if (!late(end)) contribute(group_for(start, end));
      }
      break;
    }
    case WindowInfo::Kind::Session: {
      // Merge every open session of this key that [ts, ts + gap) touches.
      int64_t start = ts, end = saturating_add(ts, w.size_ms);
      if (late(end)) break;
      Group merged;
      merged.keys = keys;
      merged.accs.resize(plan_.aggregates.size());
      auto& open = sessions_[key];
      for (auto it = open.begin(); it != open.end();) {
        auto [s, e] = *it;
        if (s > end || e < start) {
          ++it;
          continue;
        }
        start = std::min(start, s);
        end = std::max(end, e);
        auto node = groups_.find(GroupKey{s, e, key});
        for (size_t a = 0; a < merged.accs.size() && node != groups_.end(); ++a) {
          Accumulator& dst = merged.accs[a];
          const Accumulator& src = node->second.accs[a];
          const BoundExpr& agg = *plan_.aggregates[a];
          dst.count += src.count;
          dst.overflow |= src.overflow || __builtin_add_overflow(dst.isum, src.isum, &dst.isum);
          dst.dsum += src.dsum;
          dst.distinct.insert(src.distinct.begin(), src.distinct.end());
          if (src.any) {
            if (!dst.any) dst.extreme = src.extreme;
            else if (agg.aggregate == AggregateKind::Min || agg.aggregate == AggregateKind::Max) {
              int c = compare_values(src.extreme, dst.extreme);
              if ((agg.aggregate == AggregateKind::Min && c < 0) || (agg.aggregate == AggregateKind::Max && c > 0))
                dst.extreme = src.extreme;
            }
            dst.any = true;
          }
        }
        if (node != groups_.end()) {
          merged.holds.insert(merged.holds.end(), node->second.holds.begin(), node->second.holds.end());
          groups_.erase(node);
        }
        it = open.erase(it);
      }
      open.insert({start, end});
      contribute(merged);
      groups_[GroupKey{start, end, key}] = std::move(merged);
      break;
    }
  }
}

void WindowAggregateOperator::push(Batch& batch, ExecContext& ctx) {
  std::string key;
  std::vector<Value> keys, args;
  for (uint32_t i = 0; i < batch.size; ++i) {
    if (batch.row_status[i] != static_cast<uint8_t>(RowStatus::Live)) continue;
    if (time_column_ < 0 || !batch.columns[time_column_].is_valid(i)) {
      if (ctx.dead_letters)
        ctx.dead_letters->add("window without event time", "the event-time column of the window is NULL", "",
                              batch.raw[i].view(), batch.positions[i]);
      continue;
    }
    int64_t ts = batch.columns[time_column_].data<int64_t>()[i];
    keys_eval_.load(batch, i);
    args_eval_.load(batch, i);
    keys.clear();
    args.clear();
    key.clear();
    for (size_t k = 0; k < keys_eval_.size(); ++k) {
      keys.push_back(keys_eval_.eval(k, ctx.functions));
      append_key(key, keys.back());
    }
    for (size_t a = 0; a < args_eval_.size(); ++a) args.push_back(args_eval_.eval(a, ctx.functions));
    assign(ts, key, keys, args, batch, i, ctx);
    max_event_time_ = std::max(max_event_time_, ts);
  }
  if (max_event_time_ != INT64_MIN) {
    int64_t wm = saturating_sub(max_event_time_, plan_.watermark_delay_ms);
    if (wm > watermark_) emit_until(wm, ctx);
  }
}

void WindowAggregateOperator::on_watermark(int64_t watermark_ms, ExecContext& ctx) {
  if (watermark_ms > watermark_) emit_until(watermark_ms, ctx);
  Operator::on_watermark(watermark_ms, ctx);
}

void WindowAggregateOperator::emit_until(int64_t watermark, ExecContext& ctx) {
  watermark_ = watermark;
  // Windows whose end the watermark passed, in (start, key) order.
  std::vector<std::map<GroupKey, Group>::iterator> ready;
  for (auto it = groups_.begin(); it != groups_.end(); ++it)
    if (std::get<1>(it->first) <= watermark) ready.push_back(it);
  const size_t nkeys = plan_.keys.size(), naggs = plan_.aggregates.size();
  size_t k = 0;
  while (k < ready.size()) {
    out_->reset();
    uint32_t n = 0;
    for (; k < ready.size() && n < out_->capacity(); ++k, ++n) {
      const auto& [start, end, bytes] = ready[k]->first;
      const Group& g = ready[k]->second;
      for (size_t c = 0; c < nkeys; ++c) write_value(out_->columns[c], n, g.keys[c], out_->arena);
      for (size_t a = 0; a < naggs; ++a) write_value(out_->columns[nkeys + a], n, result(g.accs[a], a), out_->arena);
      write_value(out_->columns[nkeys + naggs], n, Value::timestamp(start), out_->arena);
      write_value(out_->columns[nkeys + naggs + 1], n, Value::timestamp(end), out_->arena);
      out_->raw[n] = kEmptyStringRef;
      out_->positions[n] = SourcePosition{};
      out_->row_status[n] = static_cast<uint8_t>(RowStatus::Live);
      out_->row_reason[n] = 0;
    }
    out_->size = n;
    emit(*out_, ctx);
  }
  for (auto it : ready) {
    const auto& [start, end, bytes] = it->first;
    // A window closed by the watermark (or by the end of a finite input) is
    // final: its contributors complete once the sink made the result
    // durable. One closed early because a streaming run stops is partial:
    // its holds are kept, so its records are read again after a restart and
    // the full window is emitted then (at-least-once: possibly twice, never
    // missing a contribution).
    if (ctx.holds && (watermark != INT64_MAX || ctx.holds->input_ended))
      for (Ticket t : it->second.holds) ctx.holds->release_after_flush(t);
    if (plan_.window.kind == WindowInfo::Kind::Session) {
      auto open = sessions_.find(bytes);
      if (open != sessions_.end()) {
        open->second.erase({start, end});
        if (open->second.empty()) sessions_.erase(open);
      }
    }
    groups_.erase(it);
  }
}

void WindowAggregateOperator::finish(ExecContext& ctx) {
  // A finite input closes every window. A streaming run that stops with its
  // open windows in a final checkpoint keeps them for the restart instead of
  // emitting partial results.
  if (!(ctx.holds && ctx.holds->state_checkpointed && !ctx.holds->input_ended)) emit_until(INT64_MAX, ctx);
  Operator::finish(ctx);
}

std::string WindowAggregateOperator::state_identity() const {
  const WindowInfo& w = plan_.window;
  const char* kind = w.kind == WindowInfo::Kind::Tumble ? "TUMBLE" : w.kind == WindowInfo::Kind::Hop ? "HOP" : "SESSION";
  std::string id = fmt::format("window {}(size {} ms, slide {} ms, watermark delay {} ms) GROUP BY", kind, w.size_ms,
                               w.slide_ms, plan_.watermark_delay_ms);
  for (const auto& k : plan_.keys) id += fmt::format(" {} {},", to_sql(*k), k->type->to_string());
  id += " aggregates";
  for (const auto& a : plan_.aggregates) id += fmt::format(" {} {},", to_sql(*a), a->type->to_string());
  return id;
}

void WindowAggregateOperator::save_state(StateWriter& out, const ExecContext& ctx) const {
  out.i64(watermark_);
  out.i64(max_event_time_);
  out.u64(groups_.size());
  for (const auto& [gk, g] : groups_) {
    const auto& [start, end, bytes] = gk;
    out.i64(start);
    out.i64(end);
    out.str(bytes);
    out.u64(g.keys.size());
    for (const Value& v : g.keys) out.value(v);
    for (const Accumulator& a : g.accs) {
      out.i64(a.count);
      out.u8(static_cast<uint8_t>(a.any | (a.overflow << 1)));
      out.i64(a.isum);
      out.f64(a.dsum);
      out.value(a.extreme);
      out.u64(a.distinct.size());
      for (const std::string& d : a.distinct) out.str(d);
    }
  }
  // Sessions are the (start, end) of the groups keyed by start: rebuilt on load.
}

void WindowAggregateOperator::load_state(StateReader& in, const ExecContext& ctx) {
  groups_.clear();
  sessions_.clear();
  watermark_ = in.i64();
  max_event_time_ = in.i64();
  for (uint64_t n = in.count(8 + 8 + 4 + 8); n > 0; --n) {
    int64_t start = in.i64(), end = in.i64();
    std::string bytes = in.str();
    Group g;
    for (uint64_t k = in.count(2); k > 0; --k) g.keys.push_back(in.value());
    if (g.keys.size() != plan_.keys.size())
      throw StateFormatError(fmt::format("a window pane has {} keys, the pipeline groups by {}", g.keys.size(),
                                         plan_.keys.size()));
    g.accs.resize(plan_.aggregates.size());
    for (Accumulator& a : g.accs) {
      a.count = in.i64();
      uint8_t flags = in.u8();
      a.any = flags & 1;
      a.overflow = flags & 2;
      a.isum = in.i64();
      a.dsum = in.f64();
      a.extreme = in.value();
      for (uint64_t d = in.count(4); d > 0; --d) a.distinct.insert(in.str());
    }
    if (plan_.window.kind == WindowInfo::Kind::Session) sessions_[bytes].insert({start, end});
    groups_.emplace(GroupKey{start, end, std::move(bytes)}, std::move(g));
  }
}

void WindowAggregateOperator::on_checkpoint(ExecContext& ctx) {
  // The panes' contributions are in a durable checkpoint: their records no
  // longer need to be read again, so their offsets may be committed.
  for (auto& [gk, g] : groups_) {
    if (ctx.holds)
      for (Ticket t : g.holds) ctx.holds->release_after_flush(t);
    g.holds.clear();
  }
}

}  // namespace pipec
