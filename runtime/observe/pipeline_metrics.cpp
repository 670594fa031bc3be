#include "runtime/observe/pipeline_metrics.h"

#include <climits>

#include <fmt/format.h>

#include "runtime/exec/run_summary.h"
#include "runtime/operators/window_aggregate.h"
#include "runtime/sinks/es_sink_operator.h"
#include "runtime/sources/kafka_stream_source.h"

namespace pipec::observe {

namespace {

Labels with(const Labels& base, std::initializer_list<std::pair<std::string, std::string>> more) {
  Labels l = base;
  l.insert(l.end(), more.begin(), more.end());
  return l;
}

std::string sink_name(const PipelineRunner& r) {
  const auto* sink = dynamic_cast<const LogicalSink*>(r.plan().root.get());
  return sink && sink->sink ? sink->sink->name : "";
}

void add_core(MetricSet& m, const PipelineRunner& r, const Labels& p) {
  const PipelineStats& s = r.context().stats;
  m.gauge("pipec_pipeline_running", "1 while the pipeline runs, 0 once it ended", p, r.running() ? 1 : 0);
  m.gauge("pipec_pipeline_failed", "1 once the pipeline failed (FAIL PIPELINE, I/O or sink error)", p,
          r.status() == RunStatus::Failed || r.status() == RunStatus::IoError ? 1 : 0);
  m.counter("pipec_events_in_total", "Records read from the source (rows and undecodable records)", p,
            static_cast<double>(s.records_in.load(std::memory_order_relaxed)));
  m.counter("pipec_events_out_total", "Documents written by the sink", p,
            static_cast<double>(s.documents_out.load(std::memory_order_relaxed)));
  m.counter("pipec_input_bytes_total", "Bytes read from the source", p,
            static_cast<double>(s.bytes_read.load(std::memory_order_relaxed)));
  m.counter("pipec_output_bytes_total", "Bytes the sink encoded (file/stdout: written)", p,
            static_cast<double>(s.bytes_written));
  const char* dropped_help = "Rows not sent to the sink, by reason (filtered: WHERE/HAVING; duplicate: DEDUPLICATE; "
                             "join_miss: INNER JOIN without a match)";
  m.counter("pipec_events_dropped_total", dropped_help, with(p, {{"reason", "filtered"}}), static_cast<double>(s.filtered));
  m.counter("pipec_events_dropped_total", dropped_help, with(p, {{"reason", "duplicate"}}),
            static_cast<double>(s.deduplicated));
  m.counter("pipec_events_dropped_total", dropped_help, with(p, {{"reason", "join_miss"}}),
            static_cast<double>(s.join_misses));
  for (const auto& c : s.constraints) {
    Labels labels = with(p, {{"owner", c.owner}, {"constraint", c.name}, {"action", action_name(c.action)}});
    m.counter("pipec_constraint_violations_total", "Rows that violated a constraint, by constraint and action", labels,
              static_cast<double>(c.violations));
    m.counter("pipec_constraint_checked_total",
              "Rows a constraint evaluated (rows an earlier constraint or filter removed are not), by constraint and "
              "action",
              labels, static_cast<double>(c.checked));
  }
  for (size_t k = 0; k < kDecodeErrorKinds; ++k)
    m.counter("pipec_decode_errors_total", "Records that could not be decoded, by kind (all dead-lettered)",
              with(p, {{"kind", std::string(decode_error_kind_name(static_cast<DecodeErrorKind>(k)))}}),
              static_cast<double>(s.decode_errors[k]));
  const DeadLetterQueue* dlq = r.dead_letters();
  m.counter("pipec_dead_letters_total", "Records written to the dead-letter output", p,
            dlq ? static_cast<double>(dlq->total()) : 0);
  if (dlq)
    for (const auto& [reason, n] : dlq->counts())
      m.counter("pipec_dead_letters_by_reason_total", "Dead letters by reason (decode error kind, constraint, sink)",
                with(p, {{"reason", reason}}), static_cast<double>(n));
  if (r.watermark() != INT64_MIN)
    m.gauge("pipec_event_time_watermark_seconds", "The event-time watermark (time() minus it: event-time lag)", p,
            static_cast<double>(r.watermark()) / 1000.0);
  for (const auto& op : r.chain().operators)
    if (const auto* w = dynamic_cast<const WindowAggregateOperator*>(op.get()))
      m.gauge("pipec_window_open_groups", "Window groups held in state (not yet emitted)", p,
              static_cast<double>(w->open_windows()));
}

void add_es_sink(MetricSet& m, const es::BulkClientStats& s, const Labels& k) {
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    m.counter(name, help, k, static_cast<double>(v));
  };
  counter("pipec_sink_documents_submitted_total", "Documents handed to the _bulk client", s.items_submitted);
  counter("pipec_sink_documents_acknowledged_total", "Documents Elasticsearch acknowledged (409 conflicts included)",
          s.items_acked);
  counter("pipec_sink_documents_rejected_total", "Documents Elasticsearch rejected for good (dead-lettered)",
          s.items_dead_lettered);
  counter("pipec_sink_documents_retried_total", "Document re-sends scheduled after a retryable failure",
          s.items_retried);
  counter("pipec_sink_documents_rejected_429_total", "Per-document 429 / es_rejected_execution_exception answers",
          s.items_rejected_429);
  counter("pipec_sink_bulk_requests_total", "_bulk requests sent", s.requests_sent);
  counter("pipec_sink_bulk_request_failures_total",
          "_bulk requests without a usable answer (transport errors and whole-request error statuses)",
          s.requests_failed);
  counter("pipec_sink_bulk_transport_errors_total", "_bulk requests refused, reset, timed out or dropped",
          s.transport_errors);
  const char* error_help = "Whole _bulk requests answered with an error status, by class (retried)";
  m.counter("pipec_sink_bulk_error_responses_total", error_help, with(k, {{"status", "429"}}),
            static_cast<double>(s.responses_429));
  m.counter("pipec_sink_bulk_error_responses_total", error_help, with(k, {{"status", "5xx"}}),
            static_cast<double>(s.responses_5xx));
  counter("pipec_sink_request_bytes_total", "_bulk request bodies on the wire (after gzip)", s.bytes_sent);
  counter("pipec_sink_circuit_breaker_opens_total", "Times the circuit breaker opened", s.breaker_opened);
  m.gauge("pipec_sink_circuit_breaker_state", "0 closed, 1 open, 2 half-open (probing)", k,
          static_cast<double>(static_cast<int>(s.breaker)));
  m.gauge("pipec_sink_buffered_documents", "Documents accepted and not yet reported", k,
          static_cast<double>(s.buffered_items));
  m.gauge("pipec_sink_buffered_bytes", "Bytes of the documents accepted and not yet reported", k,
          static_cast<double>(s.buffered_bytes));
  m.gauge("pipec_sink_in_flight_requests", "_bulk requests awaiting their answer", k,
          static_cast<double>(s.in_flight_requests));
  HistogramValue h;
  for (size_t i = 0; i < es::LatencyHistogram::kBoundsMs.size(); ++i) {
    h.upper_bounds.push_back(es::LatencyHistogram::kBoundsMs[i] / 1000.0);
    h.cumulative.push_back(s.latency.cumulative(i));
  }
  h.cumulative.push_back(s.latency.count);
  h.sum = s.latency.sum_ms / 1000.0;
  m.histogram("pipec_sink_bulk_request_duration_seconds", "_bulk request latency, send to complete answer", k,
              std::move(h));
}

void add_kafka(MetricSet& m, const KafkaSourceStats& s, const Labels& p) {
  m.counter("pipec_kafka_messages_total", "Messages the consumer handed out", p, static_cast<double>(s.messages));
  m.counter("pipec_kafka_commits_total", "Partition offsets the broker confirmed", p, static_cast<double>(s.commits));
  m.counter("pipec_kafka_commit_failures_total", "Partition offsets the broker did not take", p,
            static_cast<double>(s.commit_failures));
  m.counter("pipec_kafka_rebalances_total", "Consumer group rebalances", p, static_cast<double>(s.rebalances));
  m.counter("pipec_kafka_lost_to_retention_total",
            "Offsets deleted by retention between a committed offset and the first read of its partition", p,
            static_cast<double>(s.lost_to_retention));
  m.counter("pipec_kafka_pauses_total", "Times partitions were paused (sink outage or a long wait for room)", p,
            static_cast<double>(s.pauses));
  m.gauge("pipec_kafka_assigned_partitions", "Partitions assigned to this consumer", p, s.assigned);
  m.gauge("pipec_kafka_paused_partitions", "Assigned partitions paused (sink outage, finished)", p, s.paused);
  m.gauge("pipec_kafka_outstanding_records", "Records handed out and not yet complete (offsets held back)", p,
          static_cast<double>(s.outstanding));
  m.gauge("pipec_kafka_connected", "1 while a broker connection is up", p,
          s.state == KafkaConnectionState::Connected ? 1 : 0);
  for (const auto& part : s.partitions) {
    Labels tp = with(p, {{"topic", part.topic}, {"partition", std::to_string(part.partition)}});
    if (part.lag >= 0)
      m.gauge("pipec_kafka_consumer_lag_records", "High watermark minus committed offset, per partition", tp,
              static_cast<double>(part.lag));
    if (part.committed_offset >= 0)
      m.gauge("pipec_kafka_committed_offset", "The committed offset (next record to read), per partition", tp,
              static_cast<double>(part.committed_offset));
  }
}

}  // namespace

const es::BulkClient* es_client_of(const PipelineRunner& runner) {
  const auto* sink = dynamic_cast<const EsSinkOperator*>(runner.sink());
  return sink ? sink->client() : nullptr;
}

MetricSet pipeline_metrics(const PipelineRunner& r) {
  MetricSet m;
  const Labels p{{"pipeline", r.plan().name}};
  add_core(m, r, p);
  if (const es::BulkClient* client = es_client_of(r)) add_es_sink(m, client->stats(), with(p, {{"sink", sink_name(r)}}));
  if (const auto* kafka = dynamic_cast<const KafkaStreamSource*>(r.chain().source.get()); kafka && kafka->kafka())
    add_kafka(m, kafka->kafka()->stats(), p);
  return m;
}

Health pipeline_health(const PipelineRunner& r) {
  if (r.status() == RunStatus::Failed || r.status() == RunStatus::IoError)
    return {false, fmt::format("pipeline '{}' failed: {}", r.plan().name, r.error())};
  if (const es::BulkClient* client = es_client_of(r); client && client->stats().breaker != es::BreakerState::Closed)
    return {false, fmt::format("pipeline '{}': the circuit breaker of sink '{}' is open ({})", r.plan().name,
                               sink_name(r), client->stats().last_error)};
  return {};
}

}  // namespace pipec::observe
