// The Elasticsearch/OpenSearch _bulk service: takes encoded documents with
// tickets, batches them into requests of bulk.max-bytes / bulk.max-actions,
// keeps bulk.concurrency requests in flight over keep-alive connections
// (curl multi, round-robin over the hosts with failover), and reports every
// document exactly once: on_ack(ticket) when Elasticsearch has it, or
// on_dead_letter(ticket, reason) when it never will.
//
// What happens to a document (see bulk_response.h for the classification):
//  - accepted (2xx, or 409 on index/create)            -> on_ack
//  - rejected for good (mapping, parse, other 4xx)      -> on_dead_letter("<type> (HTTP <s>): <reason>")
//  - rejected for now (429, 5xx, whole-request errors,  -> only the failed documents are rebuilt into a
//    timeouts, dropped connections)                        new request and sent again after a full-jitter
//                                                          backoff; after retry.max-attempts:
//                                                          on_dead_letter("gave up after N attempts: <last error>")
//  - whole request 400/413 with several documents        -> split in halves until the bad one is alone
//  - the cluster cannot be reached (connection refused)  -> does not use up attempts: the circuit breaker
//                                                          opens after N such failures, probes
//                                                          GET /_cluster/health and resumes by itself
//
// Memory: documents accepted and not yet reported (batching, queued, in
// flight, waiting for a retry) are bounded by a hold limit: concurrency + 2
// requests of the largest size sent so far, at least bulk.max-bytes, at most
// retry.max-buffered-bytes. Past it try_submit() refuses (backpressure) and
// paused() is true, as it is while the breaker is open. Nothing is ever
// dropped to make room.
//
// Threads: the client runs one internal I/O thread (curl multi, gzip,
// response parsing, retries, the breaker). The callbacks never run on it:
// they run on the caller's thread inside poll(), submit() and flush(). All
// methods but stats(), paused(), outage() and has_room() are for one owner thread
// at a time (the executor's sink thread); those four may be called from any
// thread. Callbacks may call stats()/paused() but must not submit or flush.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/sinks/elasticsearch/bulk_request.h"
#include "runtime/sinks/elasticsearch/circuit_breaker.h"
#include "runtime/sinks/elasticsearch/es_config.h"
#include "runtime/sinks/elasticsearch/retry_policy.h"

namespace pipec::es {

struct BulkClientCallbacks {
  std::function<void(Ticket)> on_ack;
  std::function<void(Ticket, std::string_view reason)> on_dead_letter;
};

// Request latency (send to complete answer), Prometheus-style buckets.
struct LatencyHistogram {
  static constexpr std::array<uint32_t, 12> kBoundsMs{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};
  std::array<uint64_t, kBoundsMs.size() + 1> buckets{};  // buckets[i]: <= kBoundsMs[i] and > the previous bound; last: +Inf
  uint64_t count = 0;
  double sum_ms = 0;
  void record(double ms);
  // Prometheus' cumulative count for bucket i (le = kBoundsMs[i], or +Inf).
  uint64_t cumulative(size_t i) const;
};

// Counters (monotonic) and gauges, copied out by stats().
struct BulkClientStats {
  // requests
  uint64_t requests_sent = 0;
  uint64_t requests_answered = 0;         // 2xx with a readable item list
  uint64_t requests_failed = 0;           // transport errors + whole-request error statuses
  uint64_t requests_split = 0;            // 400/413 halvings
  uint64_t transport_errors = 0;          // refused, reset, timed out, dropped
  uint64_t responses_429 = 0;             // whole-request 429
  uint64_t responses_5xx = 0;             // whole-request 5xx
  uint64_t bytes_sent = 0;                // request bodies on the wire (gzip included)
  uint64_t bytes_uncompressed = 0;        // the same bodies before gzip
  // documents
  uint64_t items_submitted = 0;
  uint64_t items_acked = 0;               // includes items_conflicts
  uint64_t items_conflicts = 0;           // 409 on index/create, counted as acknowledged
  uint64_t items_retried = 0;             // document re-sends scheduled
  uint64_t items_rejected_429 = 0;        // per-item 429 / es_rejected_execution_exception
  uint64_t items_dead_lettered = 0;
  uint64_t items_gave_up = 0;             // dead letters after retry.max-attempts (part of items_dead_lettered)
  uint64_t submits_refused = 0;           // try_submit() answered Full
  // breaker
  uint64_t breaker_opened = 0;
  uint64_t health_probes = 0;
  BreakerState breaker = BreakerState::Closed;
  bool breaker_probation = false;         // closed after a healthy probe; no write accepted since
  // The cluster is unreachable or refuses writes: the breaker is open, or
  // closed on probation (a write-blocked cluster answers health probes).
  bool outage() const { return breaker != BreakerState::Closed || breaker_probation; }
  // gauges
  uint64_t buffered_bytes = 0;            // documents held, bytes
  uint64_t buffered_items = 0;
  uint64_t max_buffered_bytes = 0;        // high-water mark of buffered_bytes
  uint64_t in_flight_requests = 0;
  uint64_t waiting_retry_items = 0;       // in requests waiting for their backoff
  LatencyHistogram latency;
  std::string last_error;                 // the most recent failure, for status output
};

enum class SubmitResult : uint8_t {
  Accepted,  // taken; the request was left empty
  Full,      // no room: the request is untouched; poll() and try again
  Closed,    // close() was called
};

class BulkClient {
 public:
  // Throws std::invalid_argument for an unusable config (no hosts) and
  // std::runtime_error when curl cannot be set up. `random` drives the retry
  // jitter (tests pass a seeded make_splitmix64()).
  BulkClient(EsConfig config, BulkClientCallbacks callbacks, RandomSource random = {});
  // close(): documents not reported by then are neither acknowledged nor
  // dead-lettered (their source positions stay uncommitted and are read again
  // on restart). Call flush() first for a clean stop.
  ~BulkClient();
  BulkClient(const BulkClient&) = delete;
  BulkClient& operator=(const BulkClient&) = delete;

  // Takes the documents of `request` when there is room (or nothing is
  // buffered: one request larger than the buffer still goes through).
  SubmitResult try_submit(BulkRequest& request);
  // try_submit(), waiting up to `timeout` for room while delivering callbacks.
  SubmitResult submit(BulkRequest& request, std::chrono::milliseconds timeout = std::chrono::hours(24 * 365));

  // Delivers the acknowledgements and dead letters that are ready; waits up
  // to `timeout` for at least one if none is. Returns how many were delivered.
  size_t poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // Sends what is batched without waiting for the flush interval and waits
  // until every accepted document is reported (callbacks delivered). False
  // when `timeout` passed first.
  bool flush(std::chrono::milliseconds timeout = std::chrono::hours(24 * 365));

  // True while the breaker is not closed or the buffer is full: stop
  // submitting and keep calling poll() until it is false.
  bool paused() const;
  // True while the breaker is not closed (the cluster is unreachable or keeps
  // rejecting): a streaming source should pause, not just stop reading.
  bool outage() const;
  // Would try_submit() take `bytes` more now?
  bool has_room(size_t bytes) const;

  BulkClientStats stats() const;
  const EsConfig& config() const;
  // The index the sink creates (index.create 'index', a plain name) is gone
  // and the cluster does not create it on write (action.auto_create_index
  // false): its documents are held, as when blocked, not dead-lettered.
  bool index_missing() const;
  // The sink made it again: the held documents go out with the next retry.
  void index_restored();

  // Stops the I/O thread (in-flight requests are abandoned; see ~BulkClient).
  // Later submits answer Closed. Idempotent.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipec::es
