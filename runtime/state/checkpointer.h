// Checkpointed operator state for streaming runs (docs/state-and-checkpoints.md).
//
// With the pipeline option 'checkpoint.dir', every 'checkpoint.interval'
// (default 30s) the driver takes a checkpoint at a batch boundary: the state
// of every stateful operator (window panes with their partial aggregates and
// watermark; dedup keys in eviction order) plus, per Kafka partition, the
// next offset to read — every record before it is reflected in that state or
// in sink output — plus the pipeline's identity (its stateful operators).
//
// The commit rule (at-least-once across a SIGKILL at any point):
//
//   1. The driver makes everything emitted so far durable first: dead letters
//      flushed, the sink flushed (file: written and fsynced; Elasticsearch:
//      every document acknowledged, else the checkpoint is deferred). So a
//      restored checkpoint never lacks output that was emitted before it and
//      is no longer in its state (a window closed just before it).
//   2. The checkpoint is written atomically (checkpoint_store.h).
//   3. Only then do the operators give back the offset holds of the records
//      their state reflects (Operator::on_checkpoint): those records no
//      longer wait for their window to close; their offsets commit as soon
//      as the rest of their completions (source reference, dead letters, sink
//      documents) are in, like any stateless record.
//   4. On restart the newest valid checkpoint's state is loaded and each of
//      its partitions starts at the checkpoint's position, whatever the
//      group committed: behind it (commits lag the checkpoint) would count
//      records twice into the restored state, ahead of it (records released
//      by a later checkpoint, then this one turned out damaged and an older
//      one is used) would skip records the restored state lacks. Partitions
//      the checkpoint does not know start from the group's committed offset,
//      which never passed a record whose contribution is only in memory.
//
// A crash before step 2 completes leaves the previous checkpoint, whose
// positions are at or before every record whose hold was released since.
// The group's committed offsets are thus only the fallback for a pipeline
// without (usable) checkpoints, and what lag monitoring reads.
//
// Limits: one instance per consumer group (state is not split by partition);
// a file source is read from its start on every run, so it is not
// checkpointed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/decode/decode_error.h"
#include "runtime/exec/operator_chain.h"
#include "runtime/operators/exec_context.h"
#include "runtime/state/checkpoint_store.h"

namespace pipec {

struct CheckpointOptions {
  std::string dir;
  int64_t interval_ms = 30'000;
  size_t retained = 3;
  bool reset_state = false;  // pipec run --reset-state: ignore existing checkpoints
};

// From the pipeline's 'checkpoint.*' options; nullopt without 'checkpoint.dir'.
std::optional<CheckpointOptions> checkpoint_options(const LogicalPipeline& plan, bool reset_state);

struct CheckpointStats {
  uint64_t taken = 0;
  uint64_t failed = 0;       // writes that failed (the run goes on; holds stay)
  uint64_t deferred = 0;     // due while the sink had unacknowledged documents
  int64_t last_wall_ms = 0;  // when the last one was written
  uint64_t last_bytes = 0;
  double last_ms = 0;        // how long the snapshot + durable write took
  std::string restored_from; // path of the checkpoint the run started from
};

class Checkpointer;
class JsonWriter;

// The run summary's lines: "  checkpoints: ...\n" and a "checkpoints" field.
std::string checkpoint_summary_text(const CheckpointStats& s);
void checkpoint_summary_json(JsonWriter& w, const CheckpointStats& s);

// The driver's hook, before the source opens: null without 'checkpoint.dir',
// or when there is nothing to checkpoint (said on stderr); else the
// checkpointer, with the operators' state restored and the Kafka source set
// to start at the checkpoint's positions. Throws RunError as restore().
std::unique_ptr<Checkpointer> make_checkpointer(const LogicalPipeline& plan, bool reset_state, OperatorChain& chain,
                                                ExecContext& ctx);

class Checkpointer {
 public:
  Checkpointer(std::string pipeline, CheckpointOptions options, const OperatorChain& chain);

  // True when some operator of the chain keeps state (else nothing to do).
  bool has_state() const { return !identity_.empty(); }
  const CheckpointOptions& options() const { return options_; }

  // Before the source opens: loads the newest usable checkpoint into the
  // operators and returns the positions the source must start at. Damaged
  // newer checkpoints are reported on stderr and skipped. Throws RunError
  // when the checkpoints belong to an incompatible pipeline, or when there
  // are checkpoints but none is usable.
  std::vector<SourceOffset> restore(OperatorChain& chain, ExecContext& ctx);


  // After every batch pushed through the chain: the records it reflects.
  void observe(const Batch& batch, const DecodeErrors& errors, const ExecContext& ctx);
  bool due() const;
  // The snapshot, written durably; then the operators give back their holds.
  // The caller made everything emitted so far durable (see the rule above).
  // False when the write failed (reported; the holds stay).
  bool take(OperatorChain& chain, ExecContext& ctx);
  void defer() { ++stats_.deferred; }

  const CheckpointStats& stats() const { return stats_; }

 private:
  std::string pipeline_;
  CheckpointOptions options_;
  CheckpointStore store_;
  std::string identity_;
  uint64_t next_id_ = 1;
  std::map<std::pair<std::string, int32_t>, int64_t> positions_;  // (topic, partition) -> next offset
  std::chrono::steady_clock::time_point last_;
  bool changed_ = false;  // records observed since the last checkpoint
  CheckpointStats stats_;
};

}  // namespace pipec
