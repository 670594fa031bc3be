// GROUP BY TUMBLE / HOP / SESSION in event time. Rows are assigned to their
// windows and folded into per-(window, key) accumulators; a window is emitted
// once the watermark (the largest event time seen minus the source's
// WATERMARK delay, or a later one from on_watermark) passes its end, and
// every open window is emitted when a finite input ends. Rows for a window
// that was already emitted are late: they are dead-lettered with the reason,
// never silently dropped. Emission order is deterministic: by window start,
// then by key.
//
// Output columns: group keys..., aggregates..., window_start, window_end —
// the grouped scope HAVING and SELECT are bound over.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/interpret/row_evaluator.h"
#include "runtime/operators/operator.h"

namespace pipec {

class WindowAggregateOperator : public Operator {
 public:
  explicit WindowAggregateOperator(const LogicalWindowAggregate& plan, uint32_t batch_capacity = kDefaultBatchCapacity);
  const char* name() const override { return "WindowAggregate"; }
  void push(Batch& batch, ExecContext& ctx) override;
  void on_watermark(int64_t watermark_ms, ExecContext& ctx) override;
  void finish(ExecContext& ctx) override;

  // State: every open pane (window, key) with its partial aggregates, the
  // open sessions, the watermark and the largest event time seen.
  std::string state_identity() const override;
  void save_state(StateWriter& out, const ExecContext& ctx) const override;
  void load_state(StateReader& in, const ExecContext& ctx) override;
  void on_checkpoint(ExecContext& ctx) override;

  size_t open_windows() const { return groups_.size(); }

 private:
  struct Accumulator {
    int64_t count = 0;          // rows (count(*)) or non-NULL values
    bool any = false;           // a non-NULL value was folded
    bool overflow = false;      // BIGINT sum overflowed -> NULL
    int64_t isum = 0;
    double dsum = 0;
    Value extreme;              // min / max
    std::set<std::string> distinct;
  };
  struct Group {
    std::vector<Value> keys;
    std::vector<Accumulator> accs;
    std::vector<Ticket> holds;  // one per contribution (streaming sources)
  };
  // (window start, window end, key bytes) -> group; sessions key by start too.
  using GroupKey = std::tuple<int64_t, int64_t, std::string>;

  void fold(Group& g, const std::vector<Value>& args);
  void assign(int64_t ts, const std::string& key, const std::vector<Value>& keys, const std::vector<Value>& args,
              const Batch& batch, uint32_t row, ExecContext& ctx);
  void emit_until(int64_t watermark, ExecContext& ctx);
  Value result(const Accumulator& a, size_t agg) const;

  const LogicalWindowAggregate& plan_;
  RowEvaluator keys_eval_;
  RowEvaluator args_eval_;     // one argument per aggregate (count(*) has none: NULL placeholder)
  std::vector<int> arg_index_; // aggregate -> index in args_eval_, or -1
  int time_column_ = -1;
  std::map<GroupKey, Group> groups_;
  // Session windows: the open (start, end) sessions of each key.
  std::map<std::string, std::set<std::pair<int64_t, int64_t>>> sessions_;
  int64_t watermark_ = INT64_MIN;
  int64_t max_event_time_ = INT64_MIN;
  std::unique_ptr<Batch> out_;
};

}  // namespace pipec
