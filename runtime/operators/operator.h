// The runtime's operator interface: push-based, one batch at a time, in the
// style of DuckDB's push pipelines and Velox's operators.
//
// A pipeline is a chain  source -> op -> op -> ... -> sink. The driver
// (runtime/exec) reads a batch from the source and pushes it into the first
// operator; each operator processes it and pushes its result into the next,
// synchronously, on the same thread. So:
//
//  - A batch, and every string or chunk it points at, is valid only during
//    the push() call that received it. An operator that keeps anything across
//    calls (dedup keys, window state, join tables) copies it.
//  - Row-preserving operators (filter, constraint, dedup, project, lookup
//    join) keep row i of their input as row i of their output and never
//    compact: rows that leave are marked in Batch::row_status (Filtered or
//    DeadLettered) and skipped by everything downstream. Raw record bytes and
//    source positions travel with the row, so a dead letter can be written
//    anywhere in the chain.
//  - An operator that changes the shape of the data (project, lookup join)
//    fills an output batch of its own and pushes that one.
//  - Operators that hold rows (window aggregates) emit zero or more batches
//    per push(), and when event time passes (on_watermark) or input ends
//    (finish).
//  - Dead letters are written by the operator that rejects the row, through
//    ExecContext::dead_letters (one queue, one shape, counted per reason).
//  - FAIL PIPELINE: the operator dead-letters the row, truncates the batch
//    after it, calls ExecContext::fail() and pushes the rest; the driver
//    stops reading, finishes the chain (sinks flush) and reports the failure.
//
// Compiled kernels (the LLVM JIT) plug in as one more Operator that replaces
// a run of filter/constraint/project operators with a single fused function
// over the batch; the reference operators below stay the fallback and oracle.
#pragma once

#include <string>
#include <vector>

#include "compiler/plan/logical_plan.h"
#include "runtime/operators/exec_context.h"
#include "runtime/vector/batch.h"

namespace pipec {

class StateReader;
class StateWriter;

class Operator {
 public:
  explicit Operator(std::vector<PlanColumn> output_schema) : schema_(std::move(output_schema)) {}
  virtual ~Operator() = default;
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;

  virtual const char* name() const = 0;
  // Columns of the batches this operator pushes downstream.
  const std::vector<PlanColumn>& schema() const { return schema_; }

  void set_next(Operator* next) { next_ = next; }
  Operator* next() const { return next_; }

  // Once, before the first batch: load tables, open outputs. Throws RunError.
  virtual void open(ExecContext& ctx) {}
  // One batch from upstream (see the lifetime rules above).
  virtual void push(Batch& batch, ExecContext& ctx) = 0;
  // Event time has advanced to `watermark_ms` (the source's watermark):
  // stateful operators may expire state and emit. Forwarded by default.
  virtual void on_watermark(int64_t watermark_ms, ExecContext& ctx) {
    if (next_) next_->on_watermark(watermark_ms, ctx);
  }
  // Before source offsets are committed: sinks make everything pushed so far
  // durable (written and synced, or acknowledged). Forwarded by default.
  virtual void flush(ExecContext& ctx) {
    if (next_) next_->flush(ctx);
  }
  // End of input, or shutdown: emit what is held, flush outputs, then
  // forward. Called once, also after a failure.
  virtual void finish(ExecContext& ctx) {
    if (next_) next_->finish(ctx);
  }

  // Checkpointing (runtime/state, docs/state-and-checkpoints.md). An operator
  // that keeps state across batches says what its state means (a checkpoint
  // written under another identity is not restored), writes it at a batch
  // boundary, reads it back before the first batch, and learns when a
  // durable checkpoint covers it (it then gives back the holds it kept on
  // its records' offsets). Empty identity: stateless.
  virtual std::string state_identity() const { return {}; }
  virtual void save_state(StateWriter& out, const ExecContext& ctx) const {}
  virtual void load_state(StateReader& in, const ExecContext& ctx) {}
  virtual void on_checkpoint(ExecContext& ctx) {}

 protected:
  void emit(Batch& batch, ExecContext& ctx) {
    if (next_ && batch.size > 0) next_->push(batch, ctx);
  }

 private:
  std::vector<PlanColumn> schema_;
  Operator* next_ = nullptr;
};

// The physical layout of batches with this schema.
std::vector<PhysicalType> physical_types(const std::vector<PlanColumn>& schema);

}  // namespace pipec
