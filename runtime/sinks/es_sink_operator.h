// connector = 'elasticsearch' | 'opensearch': the end of a chain that writes
// through es::BulkClient (runtime/sinks/elasticsearch) with a ticket per
// document, so source positions are released only once Elasticsearch has
// acknowledged (or dead-lettered) every document derived from them.
//
//  open()     secret('X') options are read from the environment (a missing
//             one is an I/O error: exit 2); the index (or a template for
//             dated patterns) is prepared per 'index.create' with the
//             explicit mapping of the pipeline's schema
//  push()     encodes the live rows (runtime/encode, as the file sinks do),
//             takes an acknowledgement hold per document (AckHooks::acquire)
//             and submits them; delivers what is ready (poll)
//  poll()     the driver calls it every loop iteration (idle streams too);
//             logs to stderr when the breaker opens and when it closes
//  paused()   the client's backpressure (buffer full or breaker open)
//  outage()   the breaker is open: the driver pauses its source
//  finish()   flush() (bounded by flush_timeout; after a stop request while
//             the cluster is unreachable by outage_flush_timeout), then close
//
// on_ack -> hooks.release; on_dead_letter -> the dead-letter queue (error =
// Elasticsearch's reason, the raw record, its position), then release.
// Holds that wait for documents without a source position of their own
// (window results: release_after_acks) are given back once every document
// pushed before them is reported.
// Documents still unreported at close keep their sources unreleased, so
// their offsets are not committed and they are read again after a restart.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/delivery/offset_tracker.h"
#include "runtime/encode/bulk_encoder.h"
#include "runtime/operators/operator.h"
#include "runtime/sinks/elasticsearch/bulk_client.h"
#include "runtime/sinks/elasticsearch/document_sample.h"
#include "runtime/sinks/elasticsearch/es_config.h"

namespace pipec {

// How a sink holds and returns its source's records (none: file sources).
// Both take a batch's worth at a time: one source lock per batch, not per
// document.
struct AckHooks {
  // Holds for the documents of positions[rows[i]], into out[i] (an invalid
  // Ticket: nothing to hold).
  std::function<void(std::span<const SourcePosition> positions, std::span<const uint32_t> rows, Ticket* out)> acquire;
  std::function<void(std::span<const Ticket>)> release;
};

class EsSinkOperator : public Operator {
 public:
  // `mappings_json`: the mapping object for index.create (compiler/check/mapping.h).
  EsSinkOperator(const LogicalSink& plan, std::string mappings_json);
  ~EsSinkOperator() override;
  const char* name() const override { return "ElasticsearchSink"; }

  void set_ack_hooks(AckHooks hooks) { hooks_ = std::move(hooks); }
  // The driver's stop flag (signals): once set, push() stops waiting for room
  // in the client's buffer, so an unreachable cluster cannot hold up a stop.
  void set_stop_flag(const std::atomic<int>* stop) { stop_ = stop; }
  // Called every slice (250 ms) while push() waits for room in the client's
  // buffer: the driver keeps its source alive there (Kafka: polled, paused
  // first in an outage or a long wait, or the group evicts it after
  // max.poll.interval.ms).
  void set_wait_hook(std::function<void()> hook) { wait_hook_ = std::move(hook); }
  void open(ExecContext& ctx) override;
  void push(Batch& batch, ExecContext& ctx) override;
  void finish(ExecContext& ctx) override;

  // Delivers ready acknowledgements / dead letters (no wait).
  void poll();
  bool paused() const;
  bool outage() const;
  // Documents submitted and not reported yet.
  size_t in_flight() const { return in_flight_; }
  // Waits up to `timeout` until every document pushed so far is reported (a
  // checkpoint needs them acknowledged: runtime/state). False when some are
  // still in flight; no wait while the cluster is unreachable.
  bool drain(std::chrono::milliseconds timeout) {
    if (in_flight_ && client_ && !closed_ && !paused()) client_->flush(timeout);
    flush_releases();
    return in_flight_ == 0;
  }
  // Gives `tickets` back (hooks.release) once every document pushed so far
  // is acknowledged or dead-lettered, e.g. a window's contributors once its
  // result documents are; never when some of those are not (shutdown
  // before the ack: their offsets stay uncommitted). Empties `tickets`.
  void release_after_acks(std::vector<Ticket>& tickets);
  std::string describe() const;
  const es::BulkClient* client() const { return client_.get(); }
  // Documents Elasticsearch acknowledged / rejected (dead-lettered) so far.
  uint64_t acknowledged() const { return acknowledged_; }
  uint64_t rejected_by_server() const { return rejected_by_server_; }
  // Keep a random sample of `n` sent documents (pipec run --batch checks
  // them against the index); call before open().
  void keep_sample(size_t n) { sample_ = es::DocumentSample(n); }
  const es::DocumentSample& sample() const { return sample_; }

  std::chrono::milliseconds flush_timeout{60'000};
  // Waiting longer for a cluster that is down only delays the exit: what is not
  // acknowledged keeps its offsets uncommitted and is read again on restart.
  std::chrono::milliseconds outage_flush_timeout{10'000};

 private:
  struct Slot {
    Ticket ticket;
    SourcePosition pos;
    // The raw record, for a dead letter should the server reject the
    // document: a view into its input chunk, kept alive here (copying every
    // record cost more CPU than the whole HTTP exchange), or a copy when the
    // bytes live in no chunk.
    std::shared_ptr<const InputChunk> chunk;
    std::string_view in_chunk;
    std::string copy;
    uint64_t epoch = 0;
    std::string_view raw() const { return chunk ? in_chunk : std::string_view(copy); }
  };
  // Documents pushed between two release_after_acks() calls, and the
  // tickets handed over at the end of that span.
  struct Epoch {
    uint64_t id = 0;
    size_t in_flight = 0;
    std::vector<Ticket> after;
  };
  // `chunk`: the input chunk holding `raw`, kept instead of a copy (null: copy it).
  uint64_t take_slot(Ticket t, const SourcePosition& pos, std::string_view raw,
                     const std::shared_ptr<const InputChunk>* chunk);
  // A document was reported: frees its slot, releases (flush_releases) its
  // hold and what waited for it.
  void reported(es::Ticket t);
  // Hands the holds collected by reported() to hooks.release; every method
  // that lets the client report calls it before returning.
  void flush_releases();
  void on_ack(es::Ticket t);
  void on_dead_letter(es::Ticket t, std::string_view reason);
  // Logs when the breaker opens (the cluster is unreachable) and closes again.
  void report_outage();
  void restore_index();
  bool stop_requested() const { return stop_ && stop_->load(std::memory_order_relaxed) != 0; }

  const LogicalSink& plan_;
  std::string mappings_json_;
  AckHooks hooks_;
  std::vector<Ticket> holds_;        // push(): the batch's documents' holds
  std::vector<Ticket> to_release_;   // reported and not handed back yet
  ExecContext* ctx_ = nullptr;
  std::optional<BulkEncoder> encoder_;
  std::unique_ptr<es::BulkClient> client_;
  std::string index_;
  std::vector<std::string> hosts_;
  ByteBuffer buffer_;
  BulkEncodeResult result_;
  std::vector<es::Ticket> tickets_;
  std::vector<Slot> slots_;
  std::vector<uint64_t> free_;
  size_t in_flight_ = 0;
  std::deque<Epoch> epochs_{1};  // oldest first; back() is the open one
  uint64_t acknowledged_ = 0;
  uint64_t rejected_by_server_ = 0;
  es::DocumentSample sample_;
  bool closed_ = false;
  std::optional<std::chrono::steady_clock::time_point> outage_since_;
  std::chrono::steady_clock::time_point next_restore_{};
  bool restore_failed_ = false;  // said once per outage
  const std::atomic<int>* stop_ = nullptr;
  std::function<void()> wait_hook_;
  uint64_t unsent_ = 0;  // documents a stop request left unsubmitted
};

// The sink's options with secret('X') replaced by the environment variable X;
// throws RunError::io naming a variable that is not set.
es::EsOptionMap resolved_es_options(const SinkDef& sink);

}  // namespace pipec
