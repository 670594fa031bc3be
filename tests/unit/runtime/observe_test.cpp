// runtime/observe: the Prometheus text format (escaping, histograms, merged
// families), the registry's health, the HTTP endpoint on a real socket, the
// notification payload and webhook delivery against a port nobody listens
// on. The end-to-end checks against `pipec run` are in
// tests/integration/test_observe.py.
#include <doctest/doctest.h>

#include <curl/curl.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <set>

#include "runtime/observe/metrics_server.h"
#include "runtime/observe/run_observer.h"
#include "runtime/observe/webhook_notifier.h"

using namespace pipec::observe;

namespace {

struct HttpReply {
  long status = 0;
  std::string body;
  std::string content_type;
};

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

HttpReply http_get(const std::string& url) {
  HttpReply r;
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 5000L);
  REQUIRE(curl_easy_perform(easy) == CURLE_OK);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
  char* type = nullptr;
  curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type);
  if (type) r.content_type = type;
  curl_easy_cleanup(easy);
  return r;
}

// A TCP port on 127.0.0.1 that refuses connections (bound, never listening).
struct RefusingPort {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  uint16_t port = 0;
  RefusingPort() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~RefusingPort() { close(fd); }
};

}  // namespace

TEST_CASE("observe: label values escape backslash, double quote and newline; HELP escapes backslash and newline") {
  CHECK(escape_label_value(R"(C:\dir "x")" "\nend") == R"(C:\\dir \"x\"\nend)");
  CHECK(escape_help("a\\b \"q\"\nc") == "a\\\\b \"q\"\\nc");
  CHECK(escape_label_value("plain ünïcode") == "plain ünïcode");
}

TEST_CASE("observe: sample values are exact integers, shortest decimals, +Inf/-Inf/NaN") {
  CHECK(format_sample_value(0) == "0");
  CHECK(format_sample_value(18446744073.0) == "18446744073");
  CHECK(format_sample_value(0.25) == "0.25");
  CHECK(format_sample_value(-3) == "-3");
  CHECK(format_sample_value(1.0 / 0.0) == "+Inf");
  CHECK(format_sample_value(-1.0 / 0.0) == "-Inf");
  CHECK(format_sample_value(0.0 / 0.0) == "NaN");
}

TEST_CASE("observe: counters and gauges render HELP and TYPE once per family, labels escaped") {
  MetricSet a, b;
  a.counter("pipec_events_in_total", "Records read", {{"pipeline", "orders"}}, 42);
  a.gauge("pipec_pipeline_running", "1 while it runs", {{"pipeline", "orders"}}, 1);
  b.counter("pipec_events_in_total", "Records read", {{"pipeline", "we\"ird\\name"}}, 7);
  a.merge(b);
  CHECK(render_prometheus(a) ==
        "# HELP pipec_events_in_total Records read\n"
        "# TYPE pipec_events_in_total counter\n"
        "pipec_events_in_total{pipeline=\"orders\"} 42\n"
        "pipec_events_in_total{pipeline=\"we\\\"ird\\\\name\"} 7\n"
        "# HELP pipec_pipeline_running 1 while it runs\n"
        "# TYPE pipec_pipeline_running gauge\n"
        "pipec_pipeline_running{pipeline=\"orders\"} 1\n");
}

TEST_CASE("observe: a histogram renders cumulative _bucket{le} up to +Inf, then _sum and _count") {
  MetricSet m;
  HistogramValue h;
  h.upper_bounds = {0.005, 0.1, 1};
  h.cumulative = {1, 3, 3, 4};
  h.sum = 2.5;
  m.histogram("pipec_sink_bulk_request_duration_seconds", "latency", {{"pipeline", "p"}, {"sink", "es"}}, h);
  CHECK(render_prometheus(m) ==
        "# HELP pipec_sink_bulk_request_duration_seconds latency\n"
        "# TYPE pipec_sink_bulk_request_duration_seconds histogram\n"
        "pipec_sink_bulk_request_duration_seconds_bucket{pipeline=\"p\",sink=\"es\",le=\"0.005\"} 1\n"
        "pipec_sink_bulk_request_duration_seconds_bucket{pipeline=\"p\",sink=\"es\",le=\"0.1\"} 3\n"
        "pipec_sink_bulk_request_duration_seconds_bucket{pipeline=\"p\",sink=\"es\",le=\"1\"} 3\n"
        "pipec_sink_bulk_request_duration_seconds_bucket{pipeline=\"p\",sink=\"es\",le=\"+Inf\"} 4\n"
        "pipec_sink_bulk_request_duration_seconds_sum{pipeline=\"p\",sink=\"es\"} 2.5\n"
        "pipec_sink_bulk_request_duration_seconds_count{pipeline=\"p\",sink=\"es\"} 4\n");
  HistogramValue missing_inf;
  missing_inf.upper_bounds = {1};
  missing_inf.cumulative = {1};
  CHECK_THROWS(m.histogram("pipec_x_seconds", "", {}, missing_inf));
}

TEST_CASE("observe: counter names must end in _total; a name keeps one type") {
  MetricSet m;
  CHECK_THROWS(m.counter("pipec_events_in", "", {}, 1));
  CHECK_THROWS(m.gauge("9lives", "", {}, 1));
  m.gauge("pipec_x", "", {}, 1);
  CHECK_THROWS(m.counter("pipec_x", "", {}, 1));
}

TEST_CASE("observe: the registry keeps each publisher's latest set and is unhealthy while one is") {
  MetricsRegistry r;
  MetricSet one;
  one.counter("pipec_events_in_total", "in", {{"pipeline", "a"}}, 1);
  r.publish("a", one);
  MetricSet two;
  two.counter("pipec_events_in_total", "in", {{"pipeline", "b"}}, 5);
  r.publish("b", two, Health{false, "pipeline 'b' failed: boom"});
  MetricSet newer;
  newer.counter("pipec_events_in_total", "in", {{"pipeline", "a"}}, 3);
  r.publish("a", newer);
  MetricSet all = r.snapshot();
  REQUIRE(all.find("pipec_events_in_total", {{"pipeline", "a"}}));
  CHECK(all.find("pipec_events_in_total", {{"pipeline", "a"}})->value == 3);
  CHECK(all.find("pipec_events_in_total", {{"pipeline", "b"}})->value == 5);
  CHECK(all.families().size() == 1);
  CHECK_FALSE(r.health().healthy);
  CHECK(r.health().reason == "pipeline 'b' failed: boom");
  r.publish("b", two);
  CHECK(r.health().healthy);
}

TEST_CASE("observe: the endpoint serves /metrics and /health over HTTP on a free port") {
  MetricsRegistry registry;
  std::string error;
  auto server = MetricsServer::start("127.0.0.1:0", registry, &error);
  REQUIRE_MESSAGE(server, error);
  CHECK(server->port() != 0);
  CHECK(server->url() == "http://127.0.0.1:" + std::to_string(server->port()));

  MetricSet m;
  m.counter("pipec_events_in_total", "Records read", {{"pipeline", "orders"}}, 12);
  registry.publish("orders", m);
  HttpReply metrics = http_get(server->url() + "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type == kPrometheusContentType);
  CHECK(metrics.body == render_prometheus(m));

  HttpReply ok = http_get(server->url() + "/health");
  CHECK(ok.status == 200);
  CHECK(ok.body == "ok\n");
  registry.publish("orders", m, Health{false, "pipeline 'orders': the circuit breaker of sink 'es' is open"});
  HttpReply down = http_get(server->url() + "/health");
  CHECK(down.status == 503);
  CHECK(down.body == "unhealthy: pipeline 'orders': the circuit breaker of sink 'es' is open\n");
  CHECK(http_get(server->url() + "/nope").status == 404);

  // The port is taken now: a second server says so.
  auto second = MetricsServer::start("127.0.0.1:" + std::to_string(server->port()), registry, &error);
  CHECK_FALSE(second);
  CHECK(error.find("cannot listen") != std::string::npos);
}

TEST_CASE("observe: malformed metrics addresses are refused with the expected form") {
  MetricsRegistry registry;
  std::string error;
  CHECK_FALSE(MetricsServer::start("9464", registry, &error));
  CHECK(error.find("HOST:PORT") != std::string::npos);
  CHECK_FALSE(MetricsServer::start("127.0.0.1:http", registry, &error));
  CHECK_FALSE(MetricsServer::start("no.such.host.invalid:9464", registry, &error));
  CHECK(error.find("no.such.host.invalid") != std::string::npos);
}

TEST_CASE("observe: the notification payload carries the run, the error, the dead letters and a Slack text") {
  Notification n;
  n.event = "run_failed";
  n.run_id = "3b241101-e2bb-4255-8caf-4136c566a962";
  n.pipeline = "orders";
  n.status = "failed";
  n.error = "constraint \"positive\" failed";
  n.dead_letter_location = "out/orders.dlq.ndjson";
  n.dead_letters = 3;
  n.events_in = 10;
  n.events_out = 6;
  n.host = "worker-1";
  n.time_millis = 1763893500123;
  std::string json = notification_json(n);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  CHECK(std::string_view(doc["event"]) == "run_failed");
  CHECK(std::string_view(doc["run_id"]) == n.run_id);
  CHECK(std::string_view(doc["error"]) == n.error);
  CHECK(std::string_view(doc["dead_letters"]["location"]) == "out/orders.dlq.ndjson");
  CHECK(uint64_t(doc["dead_letters"]["count"]) == 3);
  CHECK(uint64_t(doc["counts"]["events_in"]) == 10);
  CHECK(uint64_t(doc["counts"]["events_out"]) == 6);
  CHECK(std::string_view(doc["host"]) == "worker-1");
  CHECK(std::string_view(doc["time"]) == "2025-11-23T10:25:00.123Z");
  CHECK(std::string_view(doc["text"]) ==
        "pipec: pipeline 'orders' FAILED on worker-1: constraint \"positive\" failed (10 events in, 6 out, 3 dead "
        "letters -> out/orders.dlq.ndjson; run 3b241101-e2bb-4255-8caf-4136c566a962)");
  n.error.clear();
  CHECK(parser.parse(notification_json(n))["error"].is_null());
}

TEST_CASE("observe: a webhook nobody listens on is retried, then given up without blocking the caller") {
  RefusingPort dead;
  WebhookNotifier notifier(WebhookOptions{"http://127.0.0.1:" + std::to_string(dead.port) + "/hooks/secret",
                                          3, std::chrono::milliseconds(10), std::chrono::milliseconds(1000)});
  auto before = std::chrono::steady_clock::now();
  Notification n;
  n.event = "run_failed";
  notifier.post(n);
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::milliseconds(50));
  CHECK(notifier.drain(std::chrono::seconds(10)));
  CHECK(notifier.failed() == 1);
  CHECK(notifier.delivered() == 0);
}

TEST_CASE("observe: run ids are distinct version-4 UUIDs") {
  std::set<std::string> seen;
  const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) {
    std::string id = new_run_id();
    CHECK(std::regex_match(id, uuid4));
    seen.insert(id);
  }
  CHECK(seen.size() == 100);
}
