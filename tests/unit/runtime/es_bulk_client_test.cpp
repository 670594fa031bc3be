// BulkClient behaviour that needs no server: an unreachable cluster opens
// the breaker without using up attempts, backpressure, close. Loads against a
// real OpenSearch are in tests/integration/test_es_client.py.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "runtime/sinks/elasticsearch/bulk_client.h"

using namespace pipec::es;
using namespace std::chrono_literals;

namespace {

// A loopback port nothing listens on (bound, then released).
int refused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

BulkRequest docs(int first, int n, size_t pad = 10) {
  BulkRequest r;
  for (int i = first; i < first + n; ++i)
    r.add("{\"index\":{\"_index\":\"t\",\"_id\":\"" + std::to_string(i) + "\"}}\n{\"p\":\"" + std::string(pad, 'x') + "\"}\n",
          static_cast<Ticket>(i));
  return r;
}

template <typename Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return p();
}

}  // namespace

TEST_CASE("es bulk client: an unreachable cluster opens the breaker, pauses, and uses up no attempts") {
  EsConfig c = parse_es_config({{"hosts", "http://127.0.0.1:" + std::to_string(refused_port())},
                                {"retry.max-attempts", "2"},
                                {"retry.initial-backoff", "1ms"},
                                {"retry.max-backoff", "5ms"},
                                {"bulk.flush-interval", "1ms"},
                                {"retry.max-buffered-bytes", "4kb"},
                                {"bulk.max-bytes", "1kb"}});
  c.breaker_failure_threshold = 3;
  c.breaker_probe_interval_ms = 20;
  c.breaker_max_probe_interval_ms = 40;
  std::vector<Ticket> acked, dead;
  BulkClient client(c, {[&](Ticket t) { acked.push_back(t); }, [&](Ticket t, std::string_view) { dead.push_back(t); }},
                    make_splitmix64(1));
  CHECK_FALSE(client.paused());
  BulkRequest r = docs(0, 20);
  REQUIRE(r.bytes() < 4096);
  CHECK(client.try_submit(r) == SubmitResult::Accepted);
  CHECK(r.empty());

  CHECK(eventually([&] { return client.stats().breaker_opened >= 1; }));
  CHECK(client.paused());
  CHECK(eventually([&] { return client.stats().health_probes >= 2; }));
  client.poll(50ms);
  // Connection refused is not an attempt: nothing is dead-lettered however long it lasts.
  CHECK(acked.empty());
  CHECK(dead.empty());
  BulkClientStats s = client.stats();
  CHECK(s.transport_errors >= 3);
  CHECK(s.items_gave_up == 0);
  CHECK(s.buffered_items == 20);
  CHECK(s.last_error.find("transport error") != std::string::npos);

  // Backpressure: the buffer (4 KiB) takes no more than it has room for.
  BulkRequest more = docs(100, 30, 100);
  REQUIRE(more.bytes() > 4096 - s.buffered_bytes);
  CHECK_FALSE(client.has_room(more.bytes()));
  CHECK(client.try_submit(more) == SubmitResult::Full);
  CHECK(more.size() == 30);  // untouched
  CHECK(client.submit(more, 30ms) == SubmitResult::Full);
  CHECK(client.stats().submits_refused >= 2);
  CHECK_FALSE(client.flush(50ms));

  client.close();
  CHECK(client.try_submit(more) == SubmitResult::Closed);
  CHECK_FALSE(client.flush(10ms));
  client.close();  // idempotent
  CHECK(acked.empty());
  CHECK(dead.empty());  // never reported: their source positions stay uncommitted
}

TEST_CASE("es bulk client: the buffer holds concurrency + 2 requests of the size requests really have") {
  EsConfig c = parse_es_config({{"hosts", "http://127.0.0.1:" + std::to_string(refused_port())},
                                {"retry.initial-backoff", "1ms"},
                                {"bulk.flush-interval", "1ms"},
                                {"bulk.concurrency", "2"},
                                {"bulk.max-bytes", "16kb"},
                                {"retry.max-buffered-bytes", "1mb"}});
  BulkClient client(c, {});
  // Before any request was formed: one full request's worth (bulk.max-bytes).
  CHECK(client.has_room(1000));
  BulkRequest r = docs(0, 40, 150);  // ~8 KiB: sealed as one request
  size_t sealed = r.bytes();
  REQUIRE(sealed > 6 * 1024);
  REQUIRE(sealed < 10 * 1024);
  CHECK(client.try_submit(r) == SubmitResult::Accepted);
  CHECK(eventually([&] { return client.stats().transport_errors >= 1; }));  // sent: sealed at its size
  // Limit now 4 x sealed (< 1 MiB): room for three more of that size, not for 1 MiB.
  CHECK(client.has_room(2 * sealed));
  CHECK_FALSE(client.has_room(4 * sealed));
  CHECK_FALSE(client.has_room(512 * 1024));
  client.close();
}

TEST_CASE("es bulk client: an empty submit and an empty flush") {
  EsConfig c = parse_es_config({{"hosts", "http://127.0.0.1:" + std::to_string(refused_port())}});
  BulkClient client(c, {});
  BulkRequest empty;
  CHECK(client.try_submit(empty) == SubmitResult::Accepted);
  CHECK(client.flush(100ms));
  CHECK(client.poll() == 0);
  CHECK(client.stats().requests_sent == 0);
}

TEST_CASE("es latency histogram") {
  LatencyHistogram h;
  for (double v : {1.0, 5.0, 5.1, 99.0, 40000.0}) h.record(v);
  CHECK(h.count == 5);
  CHECK(h.buckets[0] == 2);  // <= 5
  CHECK(h.buckets[1] == 1);  // (5, 10]
  CHECK(h.cumulative(4) == 4);  // <= 100
  CHECK(h.buckets.back() == 1);  // +Inf
  CHECK(h.cumulative(h.buckets.size() - 1) == 5);
}
