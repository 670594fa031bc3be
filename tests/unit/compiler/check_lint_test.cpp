#include <doctest/doctest.h>

#include "tests/unit/compiler/check_test_util.h"

using namespace pipec;
using pipec::testing::compile;
using pipec::testing::kOrders;

TEST_CASE("every lint is registered once with a name, a description and its own diagnostic kind") {
  std::set<std::string> names;
  for (const Lint& l : all_lints()) {
    CHECK(l.name != nullptr);
    CHECK(std::string(l.description).size() > 10);
    CHECK(static_cast<bool>(l.run));
    CHECK(names.insert(l.name).second);
  }
  CHECK(names.size() == 5);
  for (DiagKind k : all_diag_kinds())
    if (std::string(diag_info(k).phase) == "lint") CHECK(diag_info(k).severity == Severity::Warning);
}

TEST_CASE("a clean script has no lint findings") {
  auto c = compile(std::string(kOrders) +
                   "CREATE SINK es WITH (connector = 'elasticsearch', hosts = 'http://h:9200', index = 'o',\n"
                   "  'document.id' = 'user_id,window_start', password = secret('ES_PW'));\n"
                   "CREATE PIPELINE p AS INSERT INTO es SELECT user_id, window_start, count(*) AS n FROM orders\n"
                   "  GROUP BY user_id, TUMBLE(ts, INTERVAL '1' MINUTE)\n"
                   "  DEDUPLICATE ON (user_id) WITHIN INTERVAL '1' HOUR\n"
                   "  CONSTRAINT some EXPECT (n > 0) ON VIOLATION DROP ROW;\n");
  INFO(c->text());
  CHECK(c->diags.diagnostics().empty());
}

TEST_CASE("window-without-watermark points at the window and notes the source") {
  auto c = compile(
      "CREATE SOURCE clicks (user_id BIGINT, ts TIMESTAMP) WITH (connector = 'file', path = 'c.ndjson');\n"
      "CREATE SINK out WITH (connector = 'stdout', 'document.id' = 'user_id');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT user_id, count(*) AS n FROM clicks\n"
      "  GROUP BY user_id, SESSION(ts, INTERVAL '5' MINUTE);\n");
  INFO(c->text());
  const Diagnostic* d = c->first(DiagKind::WindowWithoutWatermark);
  REQUIRE(d != nullptr);
  CHECK(c->spanned(*d) == "SESSION(ts, INTERVAL '5' MINUTE)");
  CHECK(d->message == "event-time window on 'ts' but source 'clicks' declares no WATERMARK");
  CHECK(d->hint.find("WATERMARK FOR ts AS ts - INTERVAL") != std::string::npos);
  REQUIRE(d->notes.size() == 1);
  CHECK(c->sources.text(0).substr(d->notes[0].first.begin, 6) == "clicks");
}

TEST_CASE("a window on another column than the watermark's is reported") {
  auto c = compile(
      "CREATE SOURCE s (k BIGINT, ts TIMESTAMP, seen TIMESTAMP, WATERMARK FOR seen AS seen)\n"
      "  WITH (connector = 'file', path = 's.ndjson');\n"
      "CREATE SINK out WITH (connector = 'stdout', 'document.id' = 'k,window_start');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT k, window_start, count(*) AS n FROM s\n"
      "  GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE);\n");
  INFO(c->text());
  CHECK(c->count(DiagKind::WindowWithoutWatermark) == 0);
  const Diagnostic* d = c->first(DiagKind::WindowNotOnWatermark);
  REQUIRE(d != nullptr);
  CHECK(c->spanned(*d) == "ts");
}

TEST_CASE("nondeterministic-id suggests a key from the output") {
  SUBCASE("an id-like NOT NULL column") {
    auto c = compile(std::string(kOrders) +
                     "CREATE SINK es WITH (connector = 'elasticsearch', hosts = 'http://h:9200', index = 'o');\n"
                     "CREATE PIPELINE p AS INSERT INTO es SELECT amount, user_id, order_id FROM orders;\n");
    const Diagnostic* d = c->first(DiagKind::NondeterministicId);
    REQUIRE(d != nullptr);
    CHECK(c->spanned(*d) == "es");
    CHECK(d->hint.find("'document.id' = 'order_id'") != std::string::npos);
    REQUIRE(d->notes.size() == 1);
  }
  SUBCASE("group keys and window_start for a windowed pipeline") {
    auto c = compile(std::string(kOrders) +
                     "CREATE SINK es WITH (connector = 'opensearch', hosts = 'http://h:9200', index = 'o');\n"
                     "CREATE PIPELINE p AS INSERT INTO es SELECT user_id, window_start, sum(amount) AS s FROM orders\n"
                     "  GROUP BY user_id, HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE);\n");
    const Diagnostic* d = c->first(DiagKind::NondeterministicId);
    REQUIRE(d != nullptr);
    CHECK(d->hint.find("'document.id' = 'user_id,window_start'") != std::string::npos);
  }
  SUBCASE("a PRIMARY KEY is a document id; unwritten sinks are not linted") {
    auto c = compile(std::string(kOrders) +
                     "CREATE SINK a (order_id STRING PRIMARY KEY) WITH (connector = 'stdout');\n"
                     "CREATE SINK b WITH (connector = 'stdout');\n"
                     "CREATE PIPELINE p AS INSERT INTO a SELECT order_id FROM orders;\n");
    INFO(c->text());
    CHECK(c->count(DiagKind::NondeterministicId) == 0);
  }
}

TEST_CASE("plaintext-secret flags credential keys, URLs with passwords and literal hash keys") {
  auto c = compile(std::string(
      "CREATE SOURCE s (id STRING, email STRING) WITH (connector = 'kafka', topic = 't',\n"
      "  'properties.bootstrap.servers' = 'b:9092', 'properties.sasl.password' = 'hunter2',\n"
      "  'properties.sasl.oauthbearer.token.endpoint.url' = 'https://auth/token');\n"
      "CREATE SINK es WITH (connector = 'elasticsearch', hosts = 'https://elastic:changeme@h:9200', index = 'o',\n"
      "  'document.id' = 'id', username = 'elastic', password = secret('ES_PW'));\n"
      "CREATE PIPELINE p WITH ('notify.webhook' = 'https://hooks/x?token=abc') AS INSERT INTO es\n"
      "  SELECT id, hash_pii(email, 'pepper') AS h FROM s;\n"));
  INFO(c->text());
  CHECK(c->count(DiagKind::PlaintextSecret) == 3);
  std::vector<std::string> spans;
  for (const auto& d : c->diags.diagnostics())
    if (d.kind == DiagKind::PlaintextSecret) spans.push_back(c->spanned(d));
  CHECK(spans == std::vector<std::string>{"'hunter2'", "changeme", "abc"});
  const Diagnostic* d = c->first(DiagKind::PlaintextSecret);
  CHECK(d->hint == "read it from the environment: 'properties.sasl.password' = secret('S_SASL_PASSWORD')");
  const Diagnostic* k = c->first(DiagKind::PlaintextHashKey);
  REQUIRE(k != nullptr);
  CHECK(c->spanned(*k) == "'pepper'");
}

TEST_CASE("unbounded-state: DEDUPLICATE without WITHIN, not when WITHIN was written but invalid") {
  auto c = compile(std::string(kOrders) +
                   "CREATE SINK out WITH (connector = 'stdout', 'document.id' = 'order_id');\n"
                   "CREATE PIPELINE p AS INSERT INTO out SELECT order_id FROM orders\n"
                   "  DEDUPLICATE ON (order_id)\n"
                   "  DEDUPLICATE ON (lower(order_id)) WITHIN 5;\n");
  INFO(c->text());
  CHECK(c->count(DiagKind::UnboundedState) == 1);
  const Diagnostic* d = c->first(DiagKind::UnboundedState);
  REQUIRE(d != nullptr);
  CHECK(d->message == "DEDUPLICATE ON (order_id) in pipeline 'p' keeps state without a bound");
  CHECK(c->count(DiagKind::InvalidDedup) == 1);
}

TEST_CASE("constant-constraint: TRUE, FALSE and NULL after folding, with the consequence") {
  auto c = compile(
      "CREATE SOURCE s (id STRING NOT NULL, x DOUBLE,\n"
      "  CONSTRAINT a EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,\n"
      "  CONSTRAINT b EXPECT (upper('a') = 'B') ON VIOLATION DEAD LETTER,\n"
      "  CONSTRAINT c EXPECT (CAST(NULL AS BOOLEAN)),\n"
      "  CONSTRAINT d EXPECT (x IS NULL OR x IS NOT NULL),\n"
      "  CONSTRAINT e EXPECT (x > 0 OR 1 = 1) ON VIOLATION FAIL PIPELINE,\n"
      "  CONSTRAINT f EXPECT (x > 0 AND length(id) > 1))\n"
      "  WITH (connector = 'file', path = 's.ndjson');\n");
  INFO(c->text());
  std::vector<std::string> messages;
  for (const auto& d : c->diags.diagnostics())
    if (d.kind == DiagKind::ConstantConstraint) messages.push_back(d.message);
  CHECK(messages == std::vector<std::string>{
                        "constraint 'a' can never fail",
                        "constraint 'b' always fails: every row will be dead-lettered",
                        "constraint 'c' can never fail",
                        "constraint 'd' can never fail",
                        "constraint 'e' can never fail",
                    });
  // NOT NULL columns generate constraints of their own: never linted.
  CHECK(c->diags.diagnostics().size() == 5);
}

TEST_CASE("lints run on partially bound scripts without crashing") {
  auto c = compile(std::string(kOrders) +
                   "CREATE SINK es WITH (connector = 'elasticsearch', index = 'o');\n"
                   "CREATE PIPELINE p AS INSERT INTO es SELECT nope, count(*) FROM orders GROUP BY TUMBLE(x, 1);\n"
                   "CREATE PIPELINE q AS INSERT INTO missing SELECT * FROM nowhere;\n");
  CHECK(c->diags.has_errors());
}
