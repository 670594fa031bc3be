#include "runtime/sinks/elasticsearch/bulk_client.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "runtime/common/thread_name.h"
#include "runtime/sinks/elasticsearch/bulk_response.h"
#include "runtime/sinks/elasticsearch/es_http.h"
#include "runtime/sinks/elasticsearch/index_admin.h"

namespace pipec::es {

using clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

void LatencyHistogram::record(double v) {
  size_t i = 0;
  while (i < kBoundsMs.size() && v > kBoundsMs[i]) ++i;
  ++buckets[i];
  ++count;
  sum_ms += v;
}

uint64_t LatencyHistogram::cumulative(size_t i) const {
  uint64_t n = 0;
  for (size_t k = 0; k <= i && k < buckets.size(); ++k) n += buckets[k];
  return n;
}

namespace {

// Bulk answers are small with filter_path; a runaway body is cut here.
constexpr size_t kMaxResponseBytes = size_t(256) << 20;
constexpr const char* kBulkPath = "/_bulk?filter_path=errors,items.*.status,items.*.error";

struct Completion {
  Ticket ticket;
  bool ok;
  std::string reason;  // dead letters only
};

// One curl easy handle and what travels with it.
struct Transfer {
  CURL* easy = nullptr;
  bool busy = false;
  bool probe = false;
  BulkRequest request;
  std::unique_ptr<GzipCompressor> gzip;  // with bulk.gzip: holds the body on the wire
  std::string response;
  size_t host = 0;
  clock::time_point started;
  int64_t retry_after_ms = 0;
  CurlHeaders headers;
  char error[CURL_ERROR_SIZE] = {};
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->response.size() + size * n > kMaxResponseBytes) return 0;  // aborts with CURLE_WRITE_ERROR
  t->response.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    bool match = true;
    for (size_t i = 0; i < name.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (match) {
      int64_t seconds = 0;
      bool digits = false;
      for (char c : line.substr(name.size())) {
        if (c >= '0' && c <= '9') {
          seconds = std::min<int64_t>(seconds * 10 + (c - '0'), 86'400);
          digits = true;
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
          digits = false;  // an HTTP date: ignored
          break;
        }
      }
      if (digits) t->retry_after_ms = seconds * 1000;
    }
  }
  return size * n;
}

}  // namespace

struct BulkClient::Impl {
  Impl(EsConfig c, BulkClientCallbacks cb, RandomSource random)
      : config(std::move(c)),
        callbacks(std::move(cb)),
        retry(config.retry_max_attempts, ms(config.retry_initial_backoff_ms), ms(config.retry_max_backoff_ms),
              std::move(random)),
        breaker(config.breaker_failure_threshold, ms(config.breaker_probe_interval_ms),
                ms(config.breaker_max_probe_interval_ms)),
        hosts(config.hosts, config.host_down_ms) {
    ensure_curl_initialized();
    multi = curl_multi_init();
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    int concurrency = std::max(1, config.concurrency);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(concurrency + 1));
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>((concurrency + 1) * hosts.size()));
    slots.resize(static_cast<size_t>(concurrency) + 1);  // the last one is the health probe's
    for (size_t i = 0; i < slots.size(); ++i) {
      slots[i] = std::make_unique<Transfer>();
      slots[i]->easy = curl_easy_init();
      if (!slots[i]->easy) throw std::runtime_error("curl_easy_init failed");
      slots[i]->probe = i + 1 == slots.size();
      if (config.gzip && !slots[i]->probe) slots[i]->gzip = std::make_unique<GzipCompressor>(config.gzip_level);
    }
    io = std::thread([this] {
      set_current_thread_name("pipec-es-io");
      run();
    });
  }

  ~Impl() { close(); }

  void close() {
    {
      std::lock_guard lock(mu);
      if (stop) return;
      stop = true;
      curl_multi_wakeup(multi);
    }
    if (io.joinable()) io.join();
    {
      std::lock_guard lock(mu);
      stopped = true;  // from here on wakeup() leaves the multi handle alone
    }
    for (auto& s : slots) {
      if (s->busy) curl_multi_remove_handle(multi, s->easy);
      curl_easy_cleanup(s->easy);
    }
    curl_multi_cleanup(multi);
    multi = nullptr;
  }

  // Interrupts the I/O thread's curl_multi_poll (thread-safe).
  void wakeup() {
    std::lock_guard lock(mu);
    if (!stopped) curl_multi_wakeup(multi);
  }

  // ------------------------------------------------------------ owner side
  // What the client holds before it refuses: `concurrency` requests in
  // flight, one filling and one of slack, at the size requests really have,
  // never below one full request (so that one can always fill) and never
  // above retry.max-buffered-bytes. Holding more buys no throughput but pins
  // the documents' raw records too: with 5,000-action requests of ~1.7 MB,
  // 32 MiB of documents cost ~150 MiB of RSS, and the page faults that came
  // with it ~0.4 s of system time per 1 M events in bench/kafka_es_bench.py.
  size_t hold_limit() const {
    size_t cap = config.retry_max_buffered_bytes;
    size_t requests = static_cast<size_t>(std::max(1, config.concurrency) + 2);
    size_t want = requests * largest_request.load(std::memory_order_relaxed);
    return std::clamp(want, std::min(config.bulk_max_bytes, cap), cap);
  }
  // Under mu.
  bool room_for(size_t bytes) const { return buffered_bytes == 0 || buffered_bytes + bytes <= hold_limit(); }

  SubmitResult try_submit(BulkRequest& r) {
    {
      std::lock_guard lock(mu);
      if (stop) return SubmitResult::Closed;
      if (r.empty()) return SubmitResult::Accepted;
      if (!room_for(r.bytes())) {
        ++stats.submits_refused;
        return SubmitResult::Full;
      }
      buffered_bytes += r.bytes();
      buffered_items += r.size();
      stats.items_submitted += r.size();
      stats.max_buffered_bytes = std::max<uint64_t>(stats.max_buffered_bytes, buffered_bytes);
      incoming.push_back(std::move(r));
      r.clear();
      curl_multi_wakeup(multi);  // stop is false: the handle is alive
    }
    return SubmitResult::Accepted;
  }

  size_t deliver() {
    std::vector<Completion> ready;
    {
      std::lock_guard lock(mu);
      ready.swap(completions);
    }
    for (const Completion& c : ready) {
      if (c.ok) {
        if (callbacks.on_ack) callbacks.on_ack(c.ticket);
      } else if (callbacks.on_dead_letter) {
        callbacks.on_dead_letter(c.ticket, c.reason);
      }
    }
    return ready.size();
  }

  // Waits until `done()` (checked under the lock) or there are completions,
  // or the deadline. Returns false at the deadline.
  template <typename Pred>
  bool wait_until(clock::time_point deadline, Pred done) {
    std::unique_lock lock(mu);
    return cv.wait_until(lock, deadline, [&] { return !completions.empty() || done() || stopped_io; });
  }

  // ------------------------------------------------------------- I/O side
  void run() {
    while (true) {
      std::deque<BulkRequest> taken;
      bool flushing;
      {
        std::lock_guard lock(mu);
        if (stop) break;
        taken.swap(incoming);
        flushing = flush_waiters > 0;
      }
      clock::time_point now = clock::now();
      for (BulkRequest& r : taken) absorb(std::move(r), now);
      if (!open.empty() && (flushing || now - open_since >= ms(config.flush_interval_ms))) seal();
      while (!waiting.empty() && waiting.begin()->first <= now) {
        retry_ready.push_back(std::move(waiting.begin()->second));
        waiting.erase(waiting.begin());
      }
      if (breaker.should_probe(now)) start_probe(now);
      while (breaker.allow_requests() && (!retry_ready.empty() || !ready.empty())) {
        Transfer* t = free_slot();
        if (!t) break;
        std::deque<BulkRequest>& q = retry_ready.empty() ? ready : retry_ready;
        BulkRequest r = std::move(q.front());
        q.pop_front();
        start(*t, std::move(r), now);
      }
      publish_gauges();

      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
        if (m->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        for (auto& s : slots)
          if (s->easy == m->easy_handle) t = s.get();
        if (!t) continue;
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(multi, t->easy);
        finish(*t, rc);
      }
      flush_outcomes();
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(poll_timeout().count()), nullptr);
    }
    std::lock_guard lock(mu);
    stopped_io = true;
    cv.notify_all();
  }

  Transfer* free_slot() {
    for (size_t i = 0; i + 1 < slots.size(); ++i)
      if (!slots[i]->busy) return slots[i].get();
    return nullptr;
  }

  ms poll_timeout() {
    clock::time_point now = clock::now();
    clock::time_point wake = now + ms(250);
    if (!open.empty()) wake = std::min(wake, open_since + ms(config.flush_interval_ms));
    if (!waiting.empty()) wake = std::min(wake, waiting.begin()->first);
    if (breaker.state() == BreakerState::Open) wake = std::min(wake, breaker.next_probe());
    if (breaker.allow_requests() && (!ready.empty() || !retry_ready.empty()) && free_slot()) wake = now;
    return std::max(ms(0), std::chrono::ceil<ms>(wake - now));
  }

  // Batches submitted documents into requests of at most max-bytes/max-actions
  // (a larger document travels alone), in order.
  void absorb(BulkRequest r, clock::time_point now) {
    const std::vector<BulkItem>& items = r.items();
    size_t i = 0;
    while (i < items.size()) {
      if (open.empty()) {
        open = spare_request();
        open_since = now;
      }
      size_t j = i, bytes = open.bytes();
      while (j < items.size() && open.size() + (j - i) < config.bulk_max_actions &&
             bytes + items[j].size() <= config.bulk_max_bytes)
        bytes += items[j++].size();
      if (j == i && open.empty()) ++j;
      open.append_items(r, i, j);
      i = j;
      // Full when no document of the average size fits any more.
      size_t avg = open.bytes() / std::max<size_t>(1, open.size());
      if (i < items.size() || open.size() >= config.bulk_max_actions || open.bytes() + avg > config.bulk_max_bytes)
        seal();
    }
  }

  void seal() {
    if (open.empty()) return;
    if (open.bytes() > largest_request.load(std::memory_order_relaxed))
      largest_request.store(open.bytes(), std::memory_order_relaxed);
    ready.push_back(std::move(open));
    open = BulkRequest();
  }

  // Requests are reused: a fresh multi-megabyte body costs page faults and
  // copies while it grows. At most one spare per transfer slot is kept.
  BulkRequest spare_request() {
    if (spares.empty()) {
      BulkRequest r;
      r.reserve(config.bulk_max_bytes, 0);
      return r;
    }
    BulkRequest r = std::move(spares.back());
    spares.pop_back();
    return r;
  }
  void recycle(BulkRequest r) {
    if (spares.size() >= slots.size() || r.capacity() < config.bulk_max_bytes) return;
    r.clear();
    spares.push_back(std::move(r));
  }

  void prepare(Transfer& t, clock::time_point now) {
    t.busy = true;
    t.response.clear();
    t.retry_after_ms = 0;
    t.error[0] = 0;
    t.started = now;
    t.host = hosts.next(now);
    t.headers.reset();
  }

  void start(Transfer& t, BulkRequest r, clock::time_point now) {
    prepare(t, now);
    t.request = std::move(r);
    const std::string& body = t.request.body();
    std::string_view sent = t.gzip ? t.gzip->compress(body) : std::string_view(body);
    CURL* e = t.easy;
    curl_easy_reset(e);
    apply_common_options(e, config, t.headers, config.request_timeout_ms);
    t.headers.add("Content-Type: application/x-ndjson");
    if (t.gzip) t.headers.add("Content-Encoding: gzip");
    std::string url = hosts.host(t.host) + kBulkPath;
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers.get());
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, sent.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(sent.size()));
    common_callbacks(t);
    curl_multi_add_handle(multi, e);
    counters.requests_sent++;
    counters.bytes_sent += sent.size();
    counters.bytes_uncompressed += body.size();
  }

  void common_callbacks(Transfer& t) {
    curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(t.easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(t.easy, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(t.easy, CURLOPT_ERRORBUFFER, t.error);
  }

  void start_probe(clock::time_point now) {
    Transfer& t = *slots.back();
    if (t.busy) return;
    prepare(t, now);
    CURL* e = t.easy;
    curl_easy_reset(e);
    apply_common_options(e, config, t.headers, std::min<int64_t>(config.request_timeout_ms, 5'000));
    std::string url = hosts.host(t.host) + "/_cluster/health";
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers.get());
    common_callbacks(t);
    curl_multi_add_handle(multi, e);
    counters.health_probes++;
  }

  std::string transport_error(const Transfer& t, CURLcode rc) const {
    return fmt::format("transport error: {} ({})", transport_error_text(rc, t.error, config), hosts.host(t.host));
  }

  void finish(Transfer& t, CURLcode rc) {
    clock::time_point now = clock::now();
    t.busy = false;
    if (t.probe) return finish_probe(t, rc, now);
    BulkRequest r = std::move(t.request);
    t.request = BulkRequest();
    counters.latency.record(std::chrono::duration<double, std::milli>(now - t.started).count());

    if (rc != CURLE_OK) {
      counters.transport_errors++;
      counters.requests_failed++;
      std::string err = transport_error(t, rc);
      last_error = err;
      bool reached = !is_connect_failure(rc);
      if (!reached) hosts.mark_down(t.host, now);
      breaker.on_failure(now);
      return retry_all(std::move(r), reached, err, 0, now);
    }
    hosts.mark_up(t.host);
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return answered(std::move(r), t, now);

    counters.requests_failed++;
    if (status >= 500) counters.responses_5xx++;
    EsError e = parser.parse_error(static_cast<int>(status), t.response);
    std::string err = e.describe();
    last_error = err;
    switch (classify_request(static_cast<int>(status), e.type)) {
      case RequestOutcome::Retryable:
        if (status == 429) counters.responses_429++;
        breaker.on_failure(now);
        return retry_all(std::move(r), !refuses_writes(e.type), err, t.retry_after_ms, now);
      case RequestOutcome::Split:
        breaker.on_success();
        if (r.size() > 1) {
          counters.requests_split++;
          std::vector<BulkRequest> halves = r.split(std::max<size_t>(1, r.bytes() / 2), (r.size() + 1) / 2);
          // split() by bytes may produce more than two pieces; order is kept either way.
          for (auto it = halves.rbegin(); it != halves.rend(); ++it) retry_ready.push_front(std::move(*it));
          return;
        }
        return dead_letter_all(r, err);
      case RequestOutcome::Permanent:
        breaker.on_success();
        return dead_letter_all(r, "bulk request rejected: " + err);
      case RequestOutcome::Answered: break;
    }
  }

  void answered(BulkRequest r, Transfer& t, clock::time_point now) {
    std::string perr;
    if (!parser.parse(t.response, r.items(), response, &perr)) {
      counters.requests_failed++;
      last_error = perr;
      breaker.on_failure(now);
      return retry_all(std::move(r), true, perr, 0, now);
    }
    counters.requests_answered++;
    BulkRequest again, held;
    size_t retryable = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      BulkItem& it = r.items()[i];
      ItemResult& res = response.items[i];
      switch (res.outcome) {
        case ItemOutcome::Conflict:
          counters.items_conflicts++;
          [[fallthrough]];
        case ItemOutcome::Success:
          ack(it);
          break;
        case ItemOutcome::Permanent:
          last_error = res.error;
          if (manages_index && res.error.starts_with("index_not_found_exception")) {
            index_missing.store(true);
            ++retryable;
            held.append_item(r, i);
            break;
          }
          dead_letter(it, std::move(res.error));
          break;
        case ItemOutcome::Retryable:
          ++retryable;
          if (res.status == 429 || res.error.starts_with("es_rejected_execution_exception")) counters.items_rejected_429++;
          last_error = res.error;
          it.attempts++;
          if (!retry.can_retry(it.attempts)) {
            give_up(it, res.error);
          } else {
            again.append_item(r, i);
          }
          break;
        case ItemOutcome::Blocked:
          ++retryable;
          last_error = res.error;
          held.append_item(r, i);
          break;
      }
    }
    // Every document rejected for now: the cluster is saturated or refuses
    // writes, as bad as unreachable.
    if (retryable > 0 && retryable == r.size()) breaker.on_failure(now);
    else breaker.on_success();
    if (!again.empty()) schedule(std::move(again), 0, now);
    if (!held.empty()) retry_all(std::move(held), false, last_error, 0, now);
    recycle(std::move(r));
  }

  // The whole request failed. `reached`: the server may have seen it, which
  // uses up an attempt of every document; not when nothing reached a server
  // or the cluster refused writes whatever the document (blocked).
  void retry_all(BulkRequest r, bool reached, const std::string& err, int64_t retry_after_ms, clock::time_point now) {
    if (reached) {
      bool exhausted = false;
      for (BulkItem& it : r.items()) exhausted |= !retry.can_retry(++it.attempts);
      if (exhausted) {
        BulkRequest keep;
        for (size_t i = 0; i < r.size(); ++i) {
          BulkItem& it = r.items()[i];
          if (retry.can_retry(it.attempts)) keep.append_item(r, i);
          else give_up(it, err);
        }
        r = std::move(keep);
      }
      if (r.empty()) return;
      schedule(std::move(r), retry_after_ms, now);
    } else {
      // Not the documents' fault: wait as after N failures, N = the
      // breaker's count, without using up attempts (the breaker bounds this).
      auto delay = retry.backoff(std::max(1, breaker.consecutive_failures()));
      counters.items_retried += r.size();
      waiting.emplace(now + delay, std::move(r));
    }
  }

  void schedule(BulkRequest r, int64_t retry_after_ms, clock::time_point now) {
    counters.items_retried += r.size();
    auto delay = retry.backoff(std::max<int>(1, r.max_attempts()), ms(retry_after_ms));
    waiting.emplace(now + delay, std::move(r));
  }

  void finish_probe(Transfer& t, CURLcode rc, clock::time_point now) {
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    // 403: reachable, but the credentials may not read cluster health.
    bool healthy = (status == 200 && t.response.find("\"status\":\"red\"") == std::string::npos) || status == 403;
    if (healthy) hosts.mark_up(t.host);
    else if (rc != CURLE_OK && is_connect_failure(rc)) hosts.mark_down(t.host, now);
    if (!healthy)
      last_error = rc != CURLE_OK ? transport_error(t, rc)
                                  : fmt::format("health probe: HTTP {} {}", status, t.response.substr(0, 200));
    breaker.on_probe_result(healthy, now);
  }

  void ack(const BulkItem& it) {
    counters.items_acked++;
    out.push_back(Completion{it.ticket, true, {}});
    released_bytes += it.size();
  }
  void dead_letter(const BulkItem& it, std::string reason) {
    counters.items_dead_lettered++;
    out.push_back(Completion{it.ticket, false, std::move(reason)});
    released_bytes += it.size();
  }
  void give_up(const BulkItem& it, const std::string& err) {
    counters.items_gave_up++;
    dead_letter(it, fmt::format("gave up after {} attempts: {}", it.attempts, err));
  }
  void dead_letter_all(const BulkRequest& r, const std::string& reason) {
    for (const BulkItem& it : r.items()) dead_letter(it, reason);
  }

  // Hands this round's outcomes and counters to the owner side.
  void flush_outcomes() {
    std::lock_guard lock(mu);
    if (!out.empty()) {
      buffered_bytes -= std::min(buffered_bytes, released_bytes);
      buffered_items -= std::min(buffered_items, out.size());
      if (completions.empty()) completions.swap(out);
      else {
        for (Completion& c : out) completions.push_back(std::move(c));
        out.clear();
      }
      released_bytes = 0;
      cv.notify_all();
    }
    merge_counters();
  }

  void publish_gauges() {
    std::lock_guard lock(mu);
    merge_counters();
  }

  void merge_counters() {
    BulkClientStats& s = stats;
    s.requests_sent += counters.requests_sent;
    s.requests_answered += counters.requests_answered;
    s.requests_failed += counters.requests_failed;
    s.requests_split += counters.requests_split;
    s.transport_errors += counters.transport_errors;
    s.responses_429 += counters.responses_429;
    s.responses_5xx += counters.responses_5xx;
    s.bytes_sent += counters.bytes_sent;
    s.bytes_uncompressed += counters.bytes_uncompressed;
    s.items_acked += counters.items_acked;
    s.items_conflicts += counters.items_conflicts;
    s.items_retried += counters.items_retried;
    s.items_rejected_429 += counters.items_rejected_429;
    s.items_dead_lettered += counters.items_dead_lettered;
    s.items_gave_up += counters.items_gave_up;
    s.health_probes += counters.health_probes;
    for (size_t i = 0; i < s.latency.buckets.size(); ++i) s.latency.buckets[i] += counters.latency.buckets[i];
    s.latency.count += counters.latency.count;
    s.latency.sum_ms += counters.latency.sum_ms;
    counters = BulkClientStats();
    s.breaker_opened = breaker.times_opened();
    s.breaker = breaker.state();
    s.breaker_probation = breaker.on_probation();
    breaker_paused = breaker.paused();
    size_t in_flight = 0;
    for (size_t i = 0; i + 1 < slots.size(); ++i) in_flight += slots[i]->busy;
    s.in_flight_requests = in_flight;
    size_t w = 0;
    for (auto& [when, r] : waiting) w += r.size();
    s.waiting_retry_items = w;
    if (!last_error.empty()) s.last_error = std::move(last_error);
    last_error.clear();
  }

  // Configuration and collaborators.
  EsConfig config;
  // index.create 'index' with a plain name: the sink re-creates it when gone.
  const bool manages_index = config.index_create == "index" && template_pattern(config.index) == config.index;
  std::atomic<bool> index_missing{false};
  BulkClientCallbacks callbacks;

  // Shared between the owner and the I/O thread, under mu.
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<BulkRequest> incoming;
  std::vector<Completion> completions;
  size_t buffered_bytes = 0;
  size_t buffered_items = 0;
  // Bytes of the largest request sealed so far (I/O thread writes).
  std::atomic<size_t> largest_request{0};
  int flush_waiters = 0;
  bool stop = false;
  bool stopped = false;
  bool stopped_io = false;
  bool breaker_paused = false;
  BulkClientStats stats;

  // The I/O thread's own.
  RetryPolicy retry;
  CircuitBreaker breaker;
  HostRotation hosts;
  BulkResponseParser parser;
  BulkResponse response;
  CURLM* multi = nullptr;
  std::vector<std::unique_ptr<Transfer>> slots;
  BulkRequest open;
  std::vector<BulkRequest> spares;  // answered requests, cleared, kept for their capacity
  clock::time_point open_since;
  std::deque<BulkRequest> ready;        // sealed, never sent
  std::deque<BulkRequest> retry_ready;  // retries whose backoff is over: sent first
  std::multimap<clock::time_point, BulkRequest> waiting;
  std::vector<Completion> out;
  size_t released_bytes = 0;
  BulkClientStats counters;  // deltas since the last merge
  std::string last_error;
  std::thread io;
};

BulkClient::BulkClient(EsConfig config, BulkClientCallbacks callbacks, RandomSource random)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(callbacks), std::move(random))) {}

BulkClient::~BulkClient() = default;

SubmitResult BulkClient::try_submit(BulkRequest& request) { return impl_->try_submit(request); }

SubmitResult BulkClient::submit(BulkRequest& request, std::chrono::milliseconds timeout) {
  clock::time_point deadline = clock::now() + std::min<ms>(timeout, std::chrono::hours(24 * 365));
  while (true) {
    SubmitResult r = impl_->try_submit(request);
    if (r != SubmitResult::Full) return r;
    if (impl_->deliver() > 0) continue;
    size_t need = request.bytes();
    bool room = impl_->wait_until(deadline, [&] {
      return impl_->room_for(need);
    });
    if (!room && clock::now() >= deadline) {
      impl_->deliver();
      return impl_->try_submit(request);
    }
  }
}

size_t BulkClient::poll(std::chrono::milliseconds timeout) {
  size_t n = impl_->deliver();
  if (n > 0 || timeout.count() <= 0) return n;
  impl_->wait_until(clock::now() + timeout, [] { return false; });
  return impl_->deliver();
}

bool BulkClient::flush(std::chrono::milliseconds timeout) {
  clock::time_point deadline = clock::now() + std::min<ms>(timeout, std::chrono::hours(24 * 365));
  {
    std::lock_guard lock(impl_->mu);
    impl_->flush_waiters++;
  }
  impl_->wakeup();
  bool done = false;
  while (true) {
    impl_->deliver();
    {
      std::lock_guard lock(impl_->mu);
      if ((impl_->buffered_items == 0 && impl_->completions.empty()) || impl_->stopped_io) {
        done = impl_->buffered_items == 0 && impl_->completions.empty();
        break;
      }
    }
    if (!impl_->wait_until(deadline, [&] { return impl_->buffered_items == 0; })) break;
  }
  std::lock_guard lock(impl_->mu);
  impl_->flush_waiters--;
  return done;
}

bool BulkClient::paused() const {
  std::lock_guard lock(impl_->mu);
  return impl_->breaker_paused || impl_->buffered_bytes >= impl_->hold_limit();
}

bool BulkClient::outage() const {
  std::lock_guard lock(impl_->mu);
  return impl_->breaker_paused;
}

bool BulkClient::has_room(size_t bytes) const {
  std::lock_guard lock(impl_->mu);
  return impl_->room_for(bytes);
}

BulkClientStats BulkClient::stats() const {
  std::lock_guard lock(impl_->mu);
  BulkClientStats s = impl_->stats;
  s.buffered_bytes = impl_->buffered_bytes;
  s.buffered_items = impl_->buffered_items;
  return s;
}

const EsConfig& BulkClient::config() const { return impl_->config; }

bool BulkClient::index_missing() const { return impl_->index_missing.load(); }

void BulkClient::index_restored() { impl_->index_missing.store(false); }

void BulkClient::close() { impl_->close(); }

}  // namespace pipec::es
