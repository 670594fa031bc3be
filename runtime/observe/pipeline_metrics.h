// The metrics of one running pipeline, read from what the runtime already
// counts (ExecContext stats, the dead-letter queue, the Elasticsearch bulk
// client, the Kafka consumer, window state) into a MetricSet. Names follow
// Prometheus conventions: pipec_ prefix, _total counters, base units
// (_seconds, _bytes); docs/operations.md lists them all.
#pragma once

#include "runtime/exec/pipeline_runner.h"
#include "runtime/observe/metric_set.h"
#include "runtime/observe/metrics_registry.h"

namespace pipec::es {
class BulkClient;
}

namespace pipec::observe {

// Reads non-atomic counters: call on the pipeline's thread (on_progress), or
// once the run has ended.
MetricSet pipeline_metrics(const PipelineRunner& runner);

// Unhealthy once the run failed, or while its sink's circuit breaker is open.
Health pipeline_health(const PipelineRunner& runner);

// The Elasticsearch sink's client statistics, or null for other sinks / before open.
const es::BulkClient* es_client_of(const PipelineRunner& runner);

}  // namespace pipec::observe
