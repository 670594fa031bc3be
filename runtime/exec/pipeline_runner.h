// Drives one pipeline: opens the source, the dead-letter queue and the
// operators, then reads batch after batch and pushes each through the chain
// until the input ends, a stop is requested (signal, another pipeline's
// failure) or a FAIL PIPELINE constraint fires; finally finishes the chain so
// sinks and dead letters are flushed, whatever ended the run.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "compiler/plan/logical_plan.h"
#include "runtime/delivery/dead_letter_queue.h"
#include "runtime/exec/operator_chain.h"
#include "runtime/operators/exec_context.h"

namespace pipec {

class Checkpointer;
class EsSinkOperator;
class KafkaStreamSource;
class PipelineRunner;

struct PipelineRunOptions {
  uint32_t batch_capacity = kDefaultBatchCapacity;
  size_t chunk_bytes = 1 << 20;
  // Empty: the pipeline's 'dead-letter.path', else <pipeline>.dlq.ndjson in
  // the current directory.
  std::string dead_letter_path;
  int64_t now_millis = 0;  // now() for the whole run; 0: the wall clock at start
  // Fused kernels to run instead of the reference operators (see ChainOptions).
  const PhysicalPipeline* physical = nullptr;
  const CompiledPipeline* kernels = nullptr;
  // > 0: file sources decode on this many threads of their own while the
  // pipeline's thread runs the rest (runtime/sources/parallel_file_source.h).
  int decode_threads = 0;
  // Streaming sources (Kafka): how often acknowledged offsets are committed.
  int64_t commit_interval_ms = 1000;
  // Elasticsearch sinks keep a random sample of this many sent documents
  // (pipec run --batch compares them with the index).
  size_t sink_sample_size = 0;
  // Called on the pipeline's thread once per loop iteration (every batch, and
  // every poll of an idle stream): metrics snapshots (runtime/observe).
  std::function<void(const PipelineRunner&)> on_progress;
  // pipec run --reset-state: existing checkpoints are ignored (runtime/state).
  bool reset_state = false;
  // pipec run --from/--to: only events of [from_ms, to_ms). Kafka starts at
  // the first record timestamped >= from_ms and stops at to_ms, in a group of
  // its own unless `keep_group`; file rows are selected by their event time
  // (the source's WATERMARK column), the others counted as skipped.
  struct TimeRange {
    int64_t from_ms = 0, to_ms = 0;
    bool keep_group = false;  // the user named the group for this run
  };
  std::optional<TimeRange> time_range;
};

enum class RunStatus { Ok, Failed, IoError, Interrupted };
const char* run_status_name(RunStatus s);

class PipelineRunner {
 public:
  PipelineRunner(const LogicalPipeline& plan, PipelineRunOptions options);
  ~PipelineRunner();

  // Runs to the end. Never throws: problems end in status() and error().
  // `stop` (non-zero) asks the run to end after the current batch.
  void run(const std::atomic<int>& stop);

  const LogicalPipeline& plan() const { return plan_; }
  ExecContext& context() { return ctx_; }
  const ExecContext& context() const { return ctx_; }
  RunStatus status() const { return status_; }
  const std::string& error() const { return error_; }
  double seconds() const { return seconds_; }
  bool running() const { return running_.load(std::memory_order_relaxed); }

  const std::string& dead_letter_path() const { return dead_letter_path_; }
  const DeadLetterQueue* dead_letters() const { return dlq_.get(); }
  std::string output() const { return output_; }
  // The chain's last operator (the sink) once run() started, else null.
  const Operator* sink() const { return chain_.operators.empty() ? nullptr : chain_.operators.back().get(); }
  // Source and operators once run() started; read them on the pipeline's thread.
  const OperatorChain& chain() const { return chain_; }
  // The event-time watermark in milliseconds, INT64_MIN before the first.
  int64_t watermark() const { return watermark_; }
  // With 'checkpoint.dir' on a stateful streaming pipeline, else null.
  const Checkpointer* checkpoints() const { return checkpoints_.get(); }

 private:
  void run_batches(const std::atomic<int>& stop);
  void dead_letter_decode_errors(const DecodeErrors& errors);
  void release_after_flush(KafkaStreamSource* kafka, EsSinkOperator* es_sink);
  // --from/--to: sets the Kafka source's range and group, or checks that the
  // file source has an event time; describes the run in the summary.
  void apply_time_range(KafkaStreamSource* kafka);
  // File sources: rows outside the range become Filtered, counted.
  void skip_outside_time_range(Batch& batch);
  // 'dead-letter.topic' (brokers default to the Kafka source's), else the file.
  std::unique_ptr<DeadLetterOutput> dead_letter_output(const KafkaStreamSource* kafka) const;

  const LogicalPipeline& plan_;
  PipelineRunOptions options_;
  ExecContext ctx_;
  OperatorChain chain_;
  std::unique_ptr<DeadLetterQueue> dlq_;
  std::string dead_letter_path_;
  std::string output_;
  RunStatus status_ = RunStatus::Ok;
  std::string error_;
  double seconds_ = 0;
  std::atomic<bool> running_{false};
  int64_t watermark_ = INT64_MIN;
  // Streaming sources: holds released once the sink flushed (see run_batches).
  SourceHolds holds_;
  std::vector<Ticket> after_flush_;
  std::unique_ptr<Checkpointer> checkpoints_;
};

}  // namespace pipec
