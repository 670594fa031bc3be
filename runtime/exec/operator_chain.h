// Turns a (possibly optimized) logical plan into what runs: a source and a
// chain of operators ending in the sink — the reference operators
// (runtime/operators, interpreted row by row), or fused kernels for the
// row-local runs when compiled kernels are given. The decode list is taken
// from LogicalSource::decode as given.
#pragma once

#include <memory>
#include <vector>

#include "compiler/plan/logical_plan.h"
#include "runtime/operators/operator.h"
#include "runtime/sources/source.h"

namespace pipec {

struct CompiledPipeline;
struct PhysicalPipeline;

struct ChainOptions {
  uint32_t batch_capacity = kDefaultBatchCapacity;
  size_t chunk_bytes = 1 << 20;
  // With both set (and outliving the chain), each Kernel stage of `physical`
  // runs as one KernelOperator over `kernels` (JIT-compiled, or the reference
  // kernel); otherwise every logical operator runs as its reference operator.
  const PhysicalPipeline* physical = nullptr;
  const CompiledPipeline* kernels = nullptr;
  // > 0: file sources decode on this many threads (ParallelFileSource).
  int decode_threads = 0;
};

struct OperatorChain {
  std::unique_ptr<Source> source;
  std::vector<std::unique_ptr<Operator>> operators;  // source side first; the last is the sink
  std::vector<PlanColumn> source_schema;
  // The source batch's watermark column and delay (event time), or -1.
  int event_time_column = -1;
  int64_t watermark_delay_ms = 0;

  Operator* head() const { return operators.empty() ? nullptr : operators.front().get(); }
};

// Throws RunError for what `pipec run` cannot execute (see
// unsupported_reason). Sources: file, kafka (KafkaStreamSource); sinks:
// stdout, file, elasticsearch/opensearch (EsSinkOperator, with per-document
// acknowledgements wired to the Kafka offsets by PipelineRunner).
OperatorChain build_operator_chain(const LogicalPipeline& plan, const ChainOptions& options);

// The Elasticsearch mapping of what `plan` writes into `sink` (its declared
// columns, else the pipeline's outputs).
std::string sink_mapping(const LogicalPipeline& plan, const SinkDef& sink);

// Empty when the plan can run, else why not (checked before anything starts).
std::string unsupported_reason(const LogicalPipeline& plan);

// True when a source-level DEDUPLICATE should run in event time (the source
// has a watermark) but its input lacks the watermark column — projection
// pruning drops the column when nothing else reads it. Such a plan must be
// optimized without pruning, or the dedup would silently use processing time.
bool dedup_lost_event_time(const LogicalPipeline& plan);

}  // namespace pipec
