#include "runtime/exec/pipeline_runner.h"

#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

#include "runtime/common/timestamp.h"
#include "runtime/delivery/kafka_dead_letters.h"
#include "runtime/exec/run_error.h"
#include "runtime/operators/sink.h"
#include "runtime/sinks/es_sink_operator.h"
#include "runtime/sources/kafka_stream_source.h"
#include "runtime/state/checkpointer.h"

namespace pipec {

namespace {
constexpr std::chrono::seconds kRevokeDrainTimeout{10};

std::string iso8601(int64_t millis) {
  char text[kMaxIso8601Length];
  return std::string(text, format_iso8601_millis(millis, text));
}
}  // namespace

const char* run_status_name(RunStatus s) {
  switch (s) {
    case RunStatus::Ok: return "ok";
    case RunStatus::Failed: return "failed";
    case RunStatus::IoError: return "io_error";
    case RunStatus::Interrupted: return "interrupted";
  }
  return "?";
}

PipelineRunner::PipelineRunner(const LogicalPipeline& plan, PipelineRunOptions options)
    : plan_(plan), options_(std::move(options)), ctx_(plan.name) {
  dead_letter_path_ = options_.dead_letter_path;
  if (dead_letter_path_.empty() && plan.def) dead_letter_path_ = plan.def->options.get("dead-letter.path");
  if (dead_letter_path_.empty()) dead_letter_path_ = plan.name + ".dlq.ndjson";
  if (plan.def && !plan.def->options.get("dead-letter.topic").empty())
    dead_letter_path_ = "kafka topic '" + plan.def->options.get("dead-letter.topic") + "'";
  ctx_.batch_capacity = options_.batch_capacity;
  ctx_.functions.now_millis = options_.now_millis ? options_.now_millis : wall_clock_millis();
  ctx_.functions.secret_lookup = [](std::string_view name) -> std::string {
    const char* v = std::getenv(std::string(name).c_str());
    return v ? v : "";
  };
}

PipelineRunner::~PipelineRunner() = default;

std::unique_ptr<DeadLetterOutput> PipelineRunner::dead_letter_output(const KafkaStreamSource* kafka) const {
  const std::string topic = plan_.def ? plan_.def->options.get("dead-letter.topic") : "";
  if (topic.empty()) return std::make_unique<FileDeadLetterOutput>(plan_.name, ctx_.sources, dead_letter_path_);
  if (!plan_.def->options.get("dead-letter.path").empty())
    throw RunError::failed("pipeline '" + plan_.name + "': set 'dead-letter.path' or 'dead-letter.topic', not both");
  try {
    return std::make_unique<KafkaDeadLetterOutput>(
        kafka_dead_letter_config(plan_.def->options, kafka ? kafka->config().bootstrap_servers : ""), plan_.name,
        ctx_.sources);
  } catch (const RunError& e) {
    throw RunError(e.kind(), "pipeline '" + plan_.name + "': " + e.what());
  }
}

void PipelineRunner::dead_letter_decode_errors(const DecodeErrors& errors) {
  for (size_t k = 0; k < kDecodeErrorKinds; ++k) ctx_.stats.decode_errors[k] += errors.counts[k];
  for (const auto& e : errors.errors)
    dlq_->add(std::string("decode ") + std::string(decode_error_kind_name(e.kind)), e.reason, "", e.raw, e.pos);
}

void PipelineRunner::release_after_flush(KafkaStreamSource* kafka, EsSinkOperator* es_sink) {
  // File sinks are durable after their flush; Elasticsearch's documents
  // (window results among them) once acknowledged.
  if (es_sink) es_sink->release_after_acks(after_flush_);
  else kafka->release(after_flush_);
  after_flush_.clear();
}

void PipelineRunner::apply_time_range(KafkaStreamSource* kafka) {
  const auto& range = *options_.time_range;
  std::string span = fmt::format("[{}, {})", iso8601(range.from_ms), iso8601(range.to_ms));
  if (kafka) {
    std::string live = kafka->config().group_id;
    const std::string& group = kafka->backfill(range.from_ms, range.to_ms, range.keep_group);
    ctx_.stats.time_range = group == live ? fmt::format("{}, consumer group '{}'", span, group)
                                          : fmt::format("{}, consumer group '{}' (the live group '{}' is untouched)",
                                                        span, group, live);
    return;
  }
  if (chain_.event_time_column < 0)
    throw RunError::failed("--from/--to select file rows by their event time, but source '" +
                           (plan_.def && plan_.def->source ? plan_.def->source->name : std::string("?")) +
                           "' declares none (add WATERMARK FOR <column> AS ...)");
  ctx_.stats.time_range = span + " by event time";
}

void PipelineRunner::skip_outside_time_range(Batch& batch) {
  const auto& range = *options_.time_range;
  const Vector& ts = batch.columns[chain_.event_time_column];
  for (uint32_t i = 0; i < batch.size; ++i) {
    if (batch.row_status[i] != static_cast<uint8_t>(RowStatus::Live)) continue;
    int64_t t = ts.data<int64_t>()[i];
    if (ts.is_valid(i) && t >= range.from_ms && t < range.to_ms) continue;
    batch.row_status[i] = static_cast<uint8_t>(RowStatus::Filtered);
    ++ctx_.stats.outside_time_range;
  }
}

void PipelineRunner::run_batches(const std::atomic<int>& stop) {
  chain_ = build_operator_chain(
      plan_, ChainOptions{options_.batch_capacity, options_.chunk_bytes, options_.physical, options_.kernels,
                          options_.decode_threads});
  if (auto* sink = dynamic_cast<const SinkOperator*>(chain_.operators.back().get())) output_ = sink->output().describe();
  auto* kafka = dynamic_cast<KafkaStreamSource*>(chain_.source.get());
  auto* es_sink = dynamic_cast<EsSinkOperator*>(chain_.operators.back().get());
  if (es_sink && options_.sink_sample_size) es_sink->keep_sample(options_.sink_sample_size);
  if (es_sink) {
    es_sink->set_stop_flag(&stop);
    // A push that waits out an outage (a file source has nothing to pause)
    // must not cost the group membership, nor freeze /metrics and the
    // breaker notifications, which read the sink's state in on_progress.
    es_sink->set_wait_hook([this, kafka, es_sink] {
      if (kafka) kafka->keep_alive(es_sink->outage());
      if (options_.on_progress) options_.on_progress(*this);
    });
  }
  if (kafka && es_sink) {
    es_sink->set_ack_hooks(
        AckHooks{[kafka](std::span<const SourcePosition> positions, std::span<const uint32_t> rows,
                         Ticket* out) { kafka->acquire(positions, rows, out); },
                 [kafka](std::span<const Ticket> tickets) { kafka->release(tickets); }});
    // A revocation waits (bounded) for the acks of what is in flight, so the
    // next owner does not re-deliver what was already indexed.
    kafka->set_revoke_drain([this, es_sink] {
      es_sink->release_after_acks(after_flush_);
      es_sink->drain(kRevokeDrainTimeout);
    });
  }
  if (options_.time_range) apply_time_range(kafka);
  checkpoints_ = make_checkpointer(plan_, options_.reset_state, chain_, ctx_);  // restores state, seeks the source
  chain_.source->open();
  ctx_.sources = chain_.source->descriptors();
  ctx_.stats.bytes_total = chain_.source->bytes_total();
  dlq_ = std::make_unique<DeadLetterQueue>(dead_letter_output(kafka));
  // Streaming: a record's offset is committed only once every dead letter,
  // window state and sink output derived from it is durable.
  if (kafka) {
    auto acquire = [kafka](const SourcePosition& pos) { return kafka->acquire(pos); };
    dlq_->set_holds(acquire, [kafka](Ticket t) { kafka->release(t); });
    holds_.acquire = acquire;
    holds_.release_after_flush = [this](Ticket t) { after_flush_.push_back(t); };
    ctx_.holds = &holds_;
  }
  dlq_->open();
  ctx_.dead_letters = dlq_.get();
  for (auto& op : chain_.operators) op->open(ctx_);
  if (es_sink) output_ = es_sink->describe();
  // Streaming delivery: offsets are committed only for records whose
  // documents are acknowledged (Elasticsearch: per document) or durably
  // written (file/stdout: the records of every batch, and window
  // contributors, are released after the sink's flush before the commit),
  // and whose dead letters are durable.
  auto last_commit = std::chrono::steady_clock::now();
  Operator* head = chain_.head();
  // `final`: the run stops; a checkpoint then keeps the open state.
  auto deliver = [&](bool final) {
    if (!kafka) return;
    auto now = std::chrono::steady_clock::now();
    const bool checkpoint = checkpoints_ && (final || checkpoints_->due());
    if (!final && !checkpoint && now - last_commit < std::chrono::milliseconds(options_.commit_interval_ms)) return;
    last_commit = now;
    dlq_->flush();  // releases the holds of durable letters (topic: delivery reports)
    if (!after_flush_.empty() || checkpoint) head->flush(ctx_);
    // A checkpoint only once everything emitted before it is durable, then
    // its operators' holds go into after_flush_ (runtime/state/checkpointer.h).
    if (checkpoint && es_sink && !es_sink->drain(final ? es_sink->outage_flush_timeout : std::chrono::seconds(5)))
      checkpoints_->defer();
    else if (checkpoint)
      holds_.state_checkpointed = checkpoints_->take(chain_, ctx_) && final;
    release_after_flush(kafka, es_sink);
    kafka->commit(false);
  };

  Batch batch(physical_types(chain_.source_schema), options_.batch_capacity);
  DecodeErrors errors;
  while (true) {
    if (stop.load(std::memory_order_relaxed)) {
      status_ = RunStatus::Interrupted;
      break;
    }
    if (es_sink) {
      es_sink->poll();
      // Paused only in an outage. A full buffer (the cluster answers, just
      // slower than we read) only stops the reading, inside push(): pausing
      // would make librdkafka drop its prefetched records, to be fetched and
      // decompressed again on resume.
      if (kafka) kafka->set_paused(es_sink->outage());
    }
    deliver(false);
    if (options_.on_progress) options_.on_progress(*this);
    batch.reset();
    errors.clear();
    bool more = chain_.source->next(batch, errors);
    ctx_.stats.records_in.store(chain_.source->records_read(), std::memory_order_relaxed);
    ctx_.stats.bytes_read.store(chain_.source->bytes_read(), std::memory_order_relaxed);
    dead_letter_decode_errors(errors);
    if (checkpoints_) checkpoints_->observe(batch, errors, ctx_);
    if (options_.time_range && !kafka) skip_outside_time_range(batch);
    if (batch.size > 0) {
      head->push(batch, ctx_);
      if (chain_.event_time_column >= 0) {
        const Vector& ts = batch.columns[chain_.event_time_column];
        int64_t max_ts = INT64_MIN;
        for (uint32_t i = 0; i < batch.size; ++i)
          if (ts.is_valid(i) && ts.data<int64_t>()[i] > max_ts) max_ts = ts.data<int64_t>()[i];
        if (max_ts != INT64_MIN && max_ts - chain_.watermark_delay_ms > watermark_) {
          watermark_ = max_ts - chain_.watermark_delay_ms;
          head->on_watermark(watermark_, ctx_);
        }
      }
    }
    // The batch went through the chain: every record drops its source
    // reference — at once when the sink holds its own per document
    // (Elasticsearch), else once the sink's output is flushed.
    if (kafka) {
      if (es_sink) kafka->release_batch();
      else kafka->take_batch(after_flush_);
    }
    if (ctx_.failed()) {
      status_ = RunStatus::Failed;
      error_ = ctx_.failure();
      break;
    }
    if (!more) {
      holds_.input_ended = true;
      break;
    }
  }
  if (kafka) kafka->take_batch(after_flush_);
  if (checkpoints_ && status_ == RunStatus::Interrupted) deliver(true);
  head->finish(ctx_);
  dlq_->close();
  // finish() flushed and closed the sink: what waited for it is durable
  // (Elasticsearch: what it acknowledged).
  if (kafka) release_after_flush(kafka, es_sink);
  // The final synchronous commit, after the sink flushed and the dead
  // letters were written.
  if (kafka) {
    kafka->close();
    KafkaSourceStats k = kafka->kafka()->stats();
    ctx_.stats.source_counters = {{"messages", k.messages},     {"dropped", k.dropped},
                                  {"pauses", k.pauses},         {"rebalances", k.rebalances},
                                  {"commits", k.commits},       {"commit_failures", k.commit_failures},
                                  {"lost_to_retention", k.lost_to_retention}};
  }
}

void PipelineRunner::run(const std::atomic<int>& stop) {
  running_ = true;
  auto start = std::chrono::steady_clock::now();
  try {
    run_batches(stop);
  } catch (const RunError& e) {
    status_ = e.kind() == RunError::Kind::Io ? RunStatus::IoError : RunStatus::Failed;
    error_ = e.what();
    // Keep what was processed: flush whatever still can be flushed.
    try {
      if (chain_.head()) chain_.head()->finish(ctx_);
    } catch (...) {
    }
    try {
      if (dlq_) dlq_->close();
    } catch (...) {
    }
    try {
      // Commits what was acknowledged before the failure, leaves the group.
      if (auto* kafka = dynamic_cast<KafkaStreamSource*>(chain_.source.get())) kafka->close();
    } catch (...) {
    }
  } catch (const std::exception& e) {
    status_ = RunStatus::Failed;
    error_ = std::string("internal error: ") + e.what();
  }
  // The sink goes before the source: a revocation in the source's
  // destructor must not reach it.
  if (auto* kafka = dynamic_cast<KafkaStreamSource*>(chain_.source.get())) kafka->set_revoke_drain(nullptr);
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  running_ = false;
}

}  // namespace pipec
