#include "runtime/sinks/es_sink_operator.h"

#include <cstdlib>

#include <fmt/format.h>

#include "runtime/exec/run_error.h"
#include "runtime/operators/sink.h"
#include "runtime/sinks/elasticsearch/bulk_request.h"
#include "runtime/sinks/elasticsearch/index_admin.h"

namespace pipec {

es::EsOptionMap resolved_es_options(const SinkDef& sink) {
  es::EsOptionMap out;
  for (const auto& o : sink.options.options) {
    if (o.is_secret) {
      const char* v = std::getenv(o.value.c_str());
      if (!v)
        throw RunError::io("sink '" + sink.name + "': option '" + o.key + "' = secret('" + o.value +
                           "'), but the environment variable " + o.value + " is not set");
      out[o.key] = v;
    } else {
      out[o.key] = o.value;
    }
  }
  if (!sink.index.empty()) out["index"] = sink.index;
  return out;
}

EsSinkOperator::EsSinkOperator(const LogicalSink& plan, std::string mappings_json)
    : Operator(plan.schema), plan_(plan), mappings_json_(std::move(mappings_json)) {}

EsSinkOperator::~EsSinkOperator() {
  if (client_) client_->close();
}

std::string EsSinkOperator::describe() const {
  std::string hosts;
  for (const auto& h : hosts_) hosts += (hosts.empty() ? "" : ",") + h;
  return hosts + "/" + index_;
}

namespace {
// A start-up finding the run goes on with: on stderr now, and in the summary.
void warn(ExecContext& ctx, std::string text) {
  fmt::print(stderr, "{}\n", text);
  ctx.stats.warnings.push_back(std::move(text));
}
}  // namespace

void EsSinkOperator::open(ExecContext& ctx) {
  ctx_ = &ctx;
  const SinkDef& sink = *plan_.sink;
  es::EsConfig config;
  try {
    config = es::parse_es_config(resolved_es_options(sink));
  } catch (const es::EsConfigError& e) {
    throw RunError::failed("sink '" + sink.name + "': " + e.what());
  }
  index_ = config.index;
  hosts_ = config.hosts;
  encoder_.emplace(bulk_config(plan_, ctx.sources));
  es::PreparedIndex prepared;
  try {
    es::IndexAdmin admin(config);
    prepared = es::prepare_index(admin, config, mappings_json_);
  } catch (const es::EsAdminError& e) {
    throw RunError::io("sink '" + sink.name + "': cannot prepare index '" + config.index + "' on " + describe() +
                       ": " + e.what());
  } catch (const std::exception& e) {
    throw RunError::io("sink '" + sink.name + "': cannot prepare index '" + config.index + "': " + e.what());
  }
  const std::vector<std::string>& drift = prepared.drift;
  if (!prepared.template_error.empty()) {
    warn(ctx, fmt::format("sink '{}': cannot install index template '{}' ({}): if index '{}' is deleted while the "
                          "pipeline runs, OpenSearch re-creates it with dynamic mapping",
                          sink.name, es::exact_template_name(config.index), prepared.template_error, config.index));
  }
  if (!drift.empty()) {
    // Written as they are: the index may coerce them (a decimal into a long
    // field loses its fraction) or reject them (dead letters).
    std::string w = fmt::format("sink '{}': index '{}' already exists with a mapping that differs from the pipeline's: ",
                                sink.name, config.index);
    for (size_t i = 0; i < drift.size(); ++i) w += (i ? "; " : "") + drift[i];
    warn(ctx, std::move(w));
  }
  try {
    client_ = std::make_unique<es::BulkClient>(
        std::move(config),
        es::BulkClientCallbacks{[this](es::Ticket t) { on_ack(t); },
                                [this](es::Ticket t, std::string_view why) { on_dead_letter(t, why); }});
  } catch (const std::exception& e) {
    throw RunError::io("sink '" + sink.name + "': " + e.what());
  }
}

namespace {
// The retained chunk of `batch` that holds `raw`; rows come in chunk order,
// so the search starts at the previous row's chunk (*hint).
const std::shared_ptr<const InputChunk>* chunk_holding(const Batch& batch, std::string_view raw, size_t* hint) {
  const auto& inputs = batch.inputs();
  for (size_t n = 0; n < inputs.size(); ++n) {
    size_t i = (*hint + n) % inputs.size();
    const InputChunk& c = *inputs[i];
    if (raw.data() >= c.data() && raw.data() + raw.size() <= c.data() + c.size()) {
      *hint = i;
      return &inputs[i];
    }
  }
  return nullptr;
}
}  // namespace

uint64_t EsSinkOperator::take_slot(Ticket t, const SourcePosition& pos, std::string_view raw,
                                   const std::shared_ptr<const InputChunk>* chunk) {
  uint64_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = slots_.size();
    slots_.emplace_back();
  }
  Slot& s = slots_[i];
  s.ticket = t;
  s.pos = pos;
  if (chunk) {
    s.chunk = *chunk;
    s.in_chunk = raw;
  } else {
    s.copy.assign(raw);
  }
  s.epoch = epochs_.back().id;
  ++epochs_.back().in_flight;
  ++in_flight_;
  return i;
}

void EsSinkOperator::reported(es::Ticket t) {
  Slot& s = slots_[t];
  if (s.ticket.valid()) to_release_.push_back(s.ticket);
  s.chunk.reset();
  s.copy.clear();
  free_.push_back(t);
  --in_flight_;
  --epochs_[s.epoch - epochs_.front().id].in_flight;
  while (epochs_.size() > 1 && epochs_.front().in_flight == 0) {
    const auto& after = epochs_.front().after;
    to_release_.insert(to_release_.end(), after.begin(), after.end());
    epochs_.pop_front();
  }
}

void EsSinkOperator::flush_releases() {
  if (to_release_.empty()) return;
  if (hooks_.release) hooks_.release(to_release_);
  to_release_.clear();
}

void EsSinkOperator::release_after_acks(std::vector<Ticket>& tickets) {
  if (tickets.empty()) return;
  Epoch& open = epochs_.back();
  if (epochs_.size() == 1 && open.in_flight == 0) {
    if (hooks_.release) hooks_.release(tickets);
  } else {
    open.after.insert(open.after.end(), tickets.begin(), tickets.end());
    epochs_.push_back(Epoch{open.id + 1, 0, {}});
  }
  tickets.clear();
}

void EsSinkOperator::on_ack(es::Ticket t) {
  reported(t);
  ++acknowledged_;
}

void EsSinkOperator::on_dead_letter(es::Ticket t, std::string_view reason) {
  Slot& s = slots_[t];
  ++ctx_->stats.sink_rejected;
  ++rejected_by_server_;
  if (ctx_->dead_letters) ctx_->dead_letters->add("sink", reason, "", s.raw(), s.pos);
  // The letter holds its record until it is durable; the document's own
  // hold may go now.
  reported(t);
}

void EsSinkOperator::push(Batch& batch, ExecContext& ctx) {
  if (!client_) open(ctx);
  result_.clear();
  buffer_.clear();
  encoder_->encode(batch, buffer_, result_);
  for (const auto& e : result_.errors) {
    batch.row_status[e.row] = static_cast<uint8_t>(RowStatus::DeadLettered);
    ++ctx.stats.sink_rejected;
    if (ctx.dead_letters) ctx.dead_letters->add("sink", e.reason, "", batch.raw[e.row].view(), batch.positions[e.row]);
  }
  if (result_.rows.empty()) {
    poll();
    return;
  }
  if (sample_.capacity()) {
    size_t begin = 0;
    for (size_t end : result_.ends) {
      sample_.offer(buffer_.view().substr(begin, end - begin));
      begin = end;
    }
  }
  holds_.assign(result_.rows.size(), Ticket{});
  if (hooks_.acquire) hooks_.acquire(batch.positions, result_.rows, holds_.data());
  tickets_.clear();
  size_t chunk_hint = 0;
  for (size_t i = 0; i < result_.rows.size(); ++i) {
    uint32_t row = result_.rows[i];
    std::string_view raw = batch.raw[row].view();
    const std::shared_ptr<const InputChunk>* chunk = raw.empty() ? nullptr : chunk_holding(batch, raw, &chunk_hint);
    tickets_.push_back(take_slot(holds_[i], batch.positions[row], raw, chunk));
  }
  es::BulkRequest request = es::BulkRequest::from_encoded(buffer_.view(), result_.ends, tickets_);
  ctx.stats.documents_out.fetch_add(result_.rows.size(), std::memory_order_relaxed);
  ctx.stats.bytes_written += buffer_.size();
  // Waits only while the client's buffer is full (the driver pauses the
  // source before that when it can), in slices: callbacks keep being
  // delivered, an outage gets logged, and a stop request ends the wait.
  while (true) {
    es::SubmitResult r = client_->submit(request, std::chrono::milliseconds(250));
    if (r == es::SubmitResult::Accepted) break;
    if (r == es::SubmitResult::Closed)
      throw RunError::io("sink '" + plan_.sink->name + "': the bulk client is closed");
    report_outage();
    flush_releases();  // the wait may be long: the source's tracker (lag, a revocation's drain) sees the acks so far
    if (wait_hook_) wait_hook_();
    if (stop_requested()) {
      // Never sent: their source holds stay, so their offsets are not committed.
      unsent_ += tickets_.size();
      flush_releases();
      return;
    }
  }
  poll();
}

void EsSinkOperator::poll() {
  if (!client_) return;
  client_->poll();
  flush_releases();
  report_outage();
}

void EsSinkOperator::report_outage() {
  const std::string& name = plan_.sink->name;
  if (!client_->paused()) {
    if (outage_since_ && !client_->stats().outage()) {
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - *outage_since_).count();
      fmt::print(stderr, "sink '{}': {} answers again after {:.1f} s; circuit breaker closed, sources resumed\n", name,
                 describe(), seconds);
      outage_since_.reset();
    }
    return;
  }
  // Paused: a full buffer (ordinary backpressure) or an open breaker (an outage).
  if (!outage_since_) {
    es::BulkClientStats s = client_->stats();
    if (s.outage()) {
      outage_since_ = std::chrono::steady_clock::now();
      fmt::print(stderr,
                 "sink '{}': circuit breaker open, {} does not accept writes ({}); sources paused, {} documents held\n",
                 name, describe(), s.last_error, s.buffered_items);
    }
  }
  if (client_->index_missing()) restore_index();
}

// The index was deleted and the cluster does not create indices on write:
// made again as at start-up, its documents then go out with the next retry.
void EsSinkOperator::restore_index() {
  auto now = std::chrono::steady_clock::now();
  if (now < next_restore_) return;
  next_restore_ = now + std::chrono::seconds(5);  // a failed attempt is not repeated at every poll
  const std::string& name = plan_.sink->name;
  const es::EsConfig& config = client_->config();
  try {
    es::IndexAdmin admin(config);
    es::prepare_index(admin, config, mappings_json_);
    client_->index_restored();
    restore_failed_ = false;
    fmt::print(stderr, "sink '{}': index '{}' was gone and {} does not create indices on write; created it again "
                       "from the pipeline's mapping\n", name, config.index, describe());
  } catch (const std::exception& e) {
    if (!restore_failed_)
      fmt::print(stderr, "sink '{}': index '{}' is gone and cannot be created again ({}); its documents are held\n",
                 name, config.index, e.what());
    restore_failed_ = true;
  }
}

bool EsSinkOperator::paused() const { return client_ && client_->paused(); }

bool EsSinkOperator::outage() const { return client_ && client_->outage(); }

void EsSinkOperator::finish(ExecContext& ctx) {
  if (!closed_) {
    closed_ = true;
    if (client_) {
      bool flushed = client_->flush(stop_requested() && outage_since_ ? outage_flush_timeout : flush_timeout);
      flush_releases();
      if (!flushed || unsent_)
        ctx.stats.warnings.push_back("sink '" + plan_.sink->name + "': " + std::to_string(in_flight_) +
                                     " documents were not acknowledged before shutdown; their offsets stay "
                                     "uncommitted (re-read on restart)");
      client_->close();
      es::BulkClientStats s = client_->stats();
      ctx.stats.sink_counters = {{"requests", s.requests_sent},
                                 {"requests_failed", s.requests_failed},
                                 {"transport_errors", s.transport_errors},
                                 {"responses_429", s.responses_429},
                                 {"documents_retried", s.items_retried},
                                 {"documents_rejected_429", s.items_rejected_429},
                                 {"documents_dead_lettered", s.items_dead_lettered},
                                 {"breaker_opened", s.breaker_opened},
                                 {"health_probes", s.health_probes},
                                 {"max_buffered_bytes", s.max_buffered_bytes}};
    }
  }
  Operator::finish(ctx);
}

}  // namespace pipec
