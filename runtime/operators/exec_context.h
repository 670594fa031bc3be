// What every operator of one running pipeline shares: the function context
// (arena, secrets, now), the dead-letter queue, the counters the summary and
// the progress line report, the source table for messages, and the way to
// stop the run (FAIL PIPELINE).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/bind/bound_script.h"
#include "runtime/decode/decode_error.h"
#include "runtime/delivery/dead_letter_queue.h"
#include "runtime/delivery/source_holds.h"
#include "runtime/vector/source_position.h"
#include "stdlib/function.h"

namespace pipec {

// Violations of one constraint, counted whatever its action, out of the rows
// it evaluated (rows an earlier constraint or filter removed do not reach it).
struct ConstraintStats {
  std::string owner;  // source or pipeline that declares it
  std::string name;
  std::string sql;    // the expression as written (before optimization)
  ViolationAction action = ViolationAction::Warn;
  uint64_t violations = 0;
  uint64_t checked = 0;
};

// Counters of one pipeline run. The atomics are read by the progress thread
// while the pipeline runs; everything else is read after it ends.
struct PipelineStats {
  std::atomic<uint64_t> records_in{0};     // records read (rows + decode errors; blank lines excluded)
  std::atomic<uint64_t> documents_out{0};  // documents written by the sink
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_total{0};    // input size when known (files), for % and ETA
  uint64_t bytes_written = 0;              // sink output bytes
  uint64_t filtered = 0;                   // rows WHERE / HAVING did not keep
  uint64_t deduplicated = 0;               // rows dropped as duplicates
  uint64_t join_misses = 0;                // INNER JOIN rows without a table match
  uint64_t sink_rejected = 0;              // rows the sink could not encode (dead-lettered)
  uint64_t outside_time_range = 0;         // file rows outside pipec run --from/--to, skipped
  std::string time_range;                  // --from/--to: the range and how it is read, else empty
  std::array<uint64_t, kDecodeErrorKinds> decode_errors{};
  std::deque<ConstraintStats> constraints;  // stable addresses; declaration order
  std::vector<std::string> warnings;        // e.g. unreadable lookup-table rows
  // A sink's own delivery counters (Elasticsearch: retries, breaker openings),
  // set when it finishes; not deterministic, so not part of golden summaries.
  std::vector<std::pair<std::string, uint64_t>> sink_counters;
  // The same for a streaming source (Kafka: messages, pauses, rebalances).
  std::vector<std::pair<std::string, uint64_t>> source_counters;
};

class ExecContext {
 public:
  explicit ExecContext(std::string pipeline_name) : pipeline(std::move(pipeline_name)) {}
  ExecContext(const ExecContext&) = delete;
  ExecContext& operator=(const ExecContext&) = delete;

  std::string pipeline;
  FunctionContext functions;
  DeadLetterQueue* dead_letters = nullptr;  // set by the driver before open()
  SourceHolds* holds = nullptr;             // streaming sources only (source_holds.h)
  PipelineStats stats;
  std::vector<SourceDescriptor> sources;    // names SourcePosition::source_file
  uint32_t batch_capacity = 4096;
  // Monotonic processing time in milliseconds (dedup without event time).
  // Replaceable so tests can move time.
  std::function<int64_t()> processing_clock;

  // Stops the run after the current batch (FAIL PIPELINE). Only the first
  // reason is kept.
  void fail(std::string message) {
    if (!failed_) failure_ = std::move(message);
    failed_ = true;
  }
  bool failed() const { return failed_; }
  const std::string& failure() const { return failure_; }

  // "orders.ndjson:17" (files) or "topic[0]@42" (Kafka).
  std::string describe(const SourcePosition& pos) const;

  int64_t processing_time_ms() const;

 private:
  bool failed_ = false;
  std::string failure_;
};

}  // namespace pipec
