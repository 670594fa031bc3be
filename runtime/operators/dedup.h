// DEDUPLICATE ON (keys) WITHIN interval: a row whose key values were already
// seen less than WITHIN ago (by the time of that first occurrence) is marked
// Filtered and counted. NULL key values compare equal (as in DISTINCT).
//
// Time is event time when the operator's input carries the source's
// watermark column (TIMESTAMP), else processing time. In event time a row
// with a NULL timestamp takes the largest event time seen so far.
//
// State is bounded: keys are forgotten once their first occurrence is older
// than WITHIN (event time: behind the watermark, i.e. the largest event time
// seen minus the watermark delay), after which the key passes again and
// starts a new period. A hard cap (max_keys) evicts the oldest keys first if
// WITHIN alone would let the state grow without bound.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>

#include "runtime/interpret/row_evaluator.h"
#include "runtime/operators/operator.h"

namespace pipec {

class DedupOperator : public Operator {
 public:
  struct Options {
    std::optional<int64_t> within_ms;  // nullopt: forever (subject to max_keys)
    int event_time_column = -1;        // input column, or -1 for processing time
    int64_t watermark_delay_ms = 0;    // event time: how late rows may be
    size_t max_keys = 4'000'000;
  };
  DedupOperator(const LogicalDedup& plan, Options options);
  const char* name() const override { return "Dedup"; }
  void push(Batch& batch, ExecContext& ctx) override;

  // State: every remembered key with the time of its first occurrence, in
  // eviction order. Processing times are saved as ages, so they stay right
  // in a new process (whose monotonic clock starts elsewhere).
  std::string state_identity() const override;
  void save_state(StateWriter& out, const ExecContext& ctx) const override;
  void load_state(StateReader& in, const ExecContext& ctx) override;

  size_t state_size() const { return seen_.size(); }
  uint64_t evicted_early() const { return evicted_early_; }

 private:
  void expire(int64_t horizon);

  const LogicalDedup& plan_;
  Options options_;
  RowEvaluator eval_;
  StringArena scratch_;
  std::unordered_map<std::string, int64_t> seen_;  // key -> time of its first occurrence
  struct Entry {
    int64_t time;
    std::string key;
  };
  std::deque<Entry> order_;  // insertion order, for expiry
  int64_t max_event_time_ = std::numeric_limits<int64_t>::min();
  uint64_t evicted_early_ = 0;
  std::string key_;
};

}  // namespace pipec
