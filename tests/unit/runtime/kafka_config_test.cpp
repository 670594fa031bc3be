#include <doctest/doctest.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "runtime/sources/kafka/kafka_config.h"

using namespace pipec;

namespace {

using Options = std::vector<std::pair<std::string, std::string>>;

Options base() {
  return {{"topic", "orders"}, {"properties.bootstrap.servers", "127.0.0.1:19092"}};
}

std::string parse_error(Options opts, std::string_view group = "pipeline") {
  KafkaSourceConfig c;
  std::string error;
  CHECK_FALSE(KafkaSourceConfig::from_options(opts, group, &c, &error));
  return error;
}

KafkaSourceConfig parse(Options opts, std::string_view group = "pipeline") {
  KafkaSourceConfig c;
  std::string error;
  CHECK_MESSAGE(KafkaSourceConfig::from_options(opts, group, &c, &error), error);
  return c;
}

std::map<std::string, std::string> props_of(const KafkaSourceConfig& c) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : librdkafka_properties(c)) m[k] = v;  // later wins, as in librdkafka
  return m;
}

}  // namespace

TEST_CASE("kafka config: minimal options and defaults") {
  KafkaSourceConfig c = parse(base(), "enrich_orders");
  CHECK(c.topics == std::vector<std::string>{"orders"});
  CHECK(c.bootstrap_servers == "127.0.0.1:19092");
  CHECK(c.group_id == "enrich_orders");  // the pipeline's name
  CHECK(c.startup == KafkaStartupMode::GroupOffsets);
  CHECK_FALSE(c.bounded());
  CHECK(c.max_record_bytes == 1 << 20);
  CHECK(c.properties.empty());

  auto p = props_of(c);
  CHECK(p["bootstrap.servers"] == "127.0.0.1:19092");
  CHECK(p["group.id"] == "enrich_orders");
  CHECK(p["enable.auto.commit"] == "false");
  CHECK(p["enable.auto.offset.store"] == "false");
  CHECK(p["partition.assignment.strategy"] == "cooperative-sticky");
  CHECK(p["auto.offset.reset"] == "earliest");  // group-offsets falls back to earliest
  CHECK(p.count("enable.partition.eof") == 0);
  CHECK(p["statistics.interval.ms"] == "1000");
  CHECK(p["client.id"] == "pipec");
  CHECK(p["queued.min.messages"] == "1000000");
  CHECK(p["fetch.min.bytes"] == "1048576");
  CHECK(p["fetch.wait.max.ms"] == "100");
}

TEST_CASE("kafka config: every option") {
  Options o = {{"connector", "kafka"},
               {"topic", " orders , refunds,,"},
               {"properties.bootstrap.servers", "a:9092,b:9092"},
               {"properties.group.id", "g1"},
               {"group.id", "g1"},
               {"properties.security.protocol", "SASL_SSL"},
               {"properties.sasl.mechanisms", "PLAIN"},
               {"properties.partition.assignment.strategy", "range"},
               {"properties.client.id", "my-client"},
               {"properties.fetch.wait.max.ms", "20"},
               {"scan.startup.mode", "timestamp"},
               {"scan.startup.timestamp-millis", "1700000000000"},
               {"scan.stop.timestamp-millis", "1700000360000"},
               {"max-record-bytes", "2mb"}};
  KafkaSourceConfig c = parse(o);
  CHECK(c.topics == std::vector<std::string>{"orders", "refunds"});
  CHECK(c.group_id == "g1");
  CHECK(c.startup == KafkaStartupMode::Timestamp);
  CHECK(c.startup_timestamp_ms == 1700000000000);
  CHECK(c.stop_timestamp_ms == 1700000360000);
  CHECK(c.bounded());
  CHECK(c.max_record_bytes == 2 << 20);
  REQUIRE(c.properties.size() == 5);
  CHECK(c.properties[0] == std::pair<std::string, std::string>{"security.protocol", "SASL_SSL"});

  auto p = props_of(c);
  CHECK(p["security.protocol"] == "SASL_SSL");
  CHECK(p["sasl.mechanisms"] == "PLAIN");
  CHECK(p["partition.assignment.strategy"] == "range");  // a default the user may override
  CHECK(p["client.id"] == "my-client");
  CHECK(p["fetch.wait.max.ms"] == "20");
  CHECK(p["enable.partition.eof"] == "true");            // bounded run
  CHECK(p["auto.offset.reset"] == "earliest");           // no timestamp match: from the start
  // Each key set once: overridable defaults are left out, not set twice.
  std::map<std::string, int> seen;
  for (const auto& [k, v] : librdkafka_properties(c)) CHECK(++seen[k] == 1);
}

TEST_CASE("kafka config: startup modes map to auto.offset.reset") {
  auto mode = [](const char* m) {
    Options o = base();
    o.push_back({"scan.startup.mode", m});
    return props_of(parse(o))["auto.offset.reset"];
  };
  CHECK(mode("earliest") == "earliest");
  CHECK(mode("latest") == "latest");
  CHECK(mode("group-offsets") == "earliest");
}

TEST_CASE("kafka config: Flink's scan.bounded.mode") {
  auto with = [](std::initializer_list<std::pair<const char*, const char*>> extra) {
    Options o = base();
    for (auto [k, v] : extra) o.push_back({k, v});
    return o;
  };
  // latest-offset: the end of every partition at assignment, no time limit.
  KafkaSourceConfig latest = parse(with({{"scan.bounded.mode", "latest-offset"}}));
  CHECK(latest.bounded());
  CHECK(latest.stop_timestamp_ms == std::numeric_limits<int64_t>::max());
  CHECK(props_of(latest)["enable.partition.eof"] == "true");
  // timestamp: the same as scan.stop.timestamp-millis.
  KafkaSourceConfig ts = parse(with({{"scan.bounded.mode", "timestamp"}, {"scan.bounded.timestamp-millis", "1700000360000"}}));
  CHECK(ts.stop_timestamp_ms == 1700000360000);
  CHECK(parse(with({{"scan.bounded.mode", "timestamp"}, {"scan.stop.timestamp-millis", "5"}})).stop_timestamp_ms == 5);
  CHECK_FALSE(parse(with({{"scan.bounded.mode", "unbounded"}})).bounded());
  CHECK_FALSE(parse(base()).bounded());

  CHECK(parse_error(with({{"scan.bounded.mode", "specific-offsets"}})) ==
        "option 'scan.bounded.mode' is 'specific-offsets'; expected unbounded, latest-offset or timestamp");
  CHECK(parse_error(with({{"scan.bounded.mode", "timestamp"}})) ==
        "scan.bounded.mode 'timestamp' needs 'scan.bounded.timestamp-millis'");
  CHECK(parse_error(with({{"scan.bounded.mode", "latest-offset"}, {"scan.bounded.timestamp-millis", "5"}})) ==
        "scan.bounded.mode 'latest-offset' with a stop timestamp: use mode 'timestamp'");
  CHECK(parse_error(with({{"scan.bounded.mode", "unbounded"}, {"scan.stop.timestamp-millis", "5"}})) ==
        "scan.bounded.mode 'unbounded' with a stop timestamp");
  CHECK(parse_error(with({{"scan.stop.timestamp-millis", "5"}, {"scan.bounded.timestamp-millis", "6"}})) ==
        "options 'scan.stop.timestamp-millis' and 'scan.bounded.timestamp-millis' disagree");
}

TEST_CASE("kafka config: errors name the option") {
  CHECK(parse_error({{"properties.bootstrap.servers", "x:1"}}) ==
        "option 'topic' is required (comma-separated topic names)");
  CHECK(parse_error({{"topic", " , "}, {"properties.bootstrap.servers", "x:1"}}) ==
        "option 'topic' is required (comma-separated topic names)");
  CHECK(parse_error({{"topic", "t"}}) == "option 'properties.bootstrap.servers' is required");

  auto with = [](std::string k, std::string v) {
    Options o = base();
    o.push_back({std::move(k), std::move(v)});
    return o;
  };
  CHECK(parse_error(with("properties.enable.auto.commit", "true")) ==
        "option 'properties.enable.auto.commit' cannot be set: pipec commits offsets itself, only after the "
        "sink acknowledged the records");
  CHECK(parse_error(with("properties.enable.auto.offset.store", "true")).starts_with(
      "option 'properties.enable.auto.offset.store' cannot be set"));
  CHECK(parse_error(with("properties.auto.offset.reset", "latest")) ==
        "option 'properties.auto.offset.reset' cannot be set: use 'scan.startup.mode' "
        "(earliest|latest|group-offsets|timestamp)");
  CHECK(parse_error(with("properties.enable.partition.eof", "true")).starts_with("option 'properties.enable"));
  CHECK(parse_error(with("scan.startup.mode", "earliest-offset")) ==
        "option 'scan.startup.mode' is 'earliest-offset'; expected earliest, latest, group-offsets or timestamp");
  CHECK(parse_error(with("scan.startup.mode", "timestamp")) ==
        "scan.startup.mode 'timestamp' needs 'scan.startup.timestamp-millis'");
  CHECK(parse_error(with("scan.startup.timestamp-millis", "5")) ==
        "option 'scan.startup.timestamp-millis' needs scan.startup.mode 'timestamp' (the default is group-offsets)");
  CHECK(parse_error(with("scan.stop.timestamp-millis", "yesterday")) ==
        "option 'scan.stop.timestamp-millis' is 'yesterday'; expected epoch milliseconds");
  CHECK(parse_error(with("scan.stop.timestamp-millis", "-5")) ==
        "option 'scan.stop.timestamp-millis' is '-5'; expected epoch milliseconds");
  CHECK(parse_error(with("max-record-bytes", "huge")) ==
        "option 'max-record-bytes' is 'huge'; expected a size such as 1mb");
  CHECK(parse_error(with("max-record-bytes", "0")) ==
        "option 'max-record-bytes' is '0'; expected a size such as 1mb");
  CHECK(parse_error(with("format.json.fail-on-missing", "true")) ==
        "unknown kafka source option 'format.json.fail-on-missing'");
  CHECK(parse_error(with("properties.", "x")) == "option 'properties.' names no librdkafka property");

  Options two = with("properties.group.id", "a");
  two.push_back({"group.id", "b"});
  CHECK(parse_error(two) == "options 'properties.group.id' ('a') and 'group.id' ('b') disagree");
  CHECK(parse_error(base(), "") == "no consumer group: set 'properties.group.id'");

  Options window = with("scan.startup.mode", "timestamp");
  window.push_back({"scan.startup.timestamp-millis", "2000"});
  window.push_back({"scan.stop.timestamp-millis", "1000"});
  CHECK(parse_error(window) ==
        "option 'scan.stop.timestamp-millis' must be after 'scan.startup.timestamp-millis'");
}

TEST_CASE("kafka config: the group alias and metadata wants") {
  Options o = base();
  o.push_back({"group.id", "alias-group"});
  KafkaSourceConfig c = parse(o);
  CHECK(c.group_id == "alias-group");
  CHECK_FALSE(c.with_key);
  CHECK(c.want_metadata("offset"));
  CHECK(c.want_metadata("timestamp"));
  CHECK_FALSE(c.with_key);
  CHECK(c.want_metadata("key"));
  CHECK(c.with_key);
  CHECK(c.want_metadata("headers"));
  CHECK(c.with_headers);
  CHECK_FALSE(c.want_metadata("line"));
}

TEST_CASE("kafka config: librdkafka checks passed-through properties without connecting") {
  std::string error;
  Options o = base();
  o.push_back({"properties.fetch.max.bytes", "1048576"});
  o.push_back({"properties.sasl.mechanisms", "PLAIN"});
  o.push_back({"properties.sasl.username", "u"});
  o.push_back({"properties.sasl.password", "p"});
  CHECK_MESSAGE(validate_librdkafka_properties(parse(o), &error), error);

  Options unknown = base();
  unknown.push_back({"properties.no.such.property", "1"});
  CHECK_FALSE(validate_librdkafka_properties(parse(unknown), &error));
  CHECK(error.starts_with("kafka property 'no.such.property': "));
  CHECK(error.find("No such configuration property") != std::string::npos);

  Options bad = base();
  bad.push_back({"properties.fetch.max.bytes", "lots"});
  CHECK_FALSE(validate_librdkafka_properties(parse(bad), &error));
  CHECK(error.starts_with("kafka property 'fetch.max.bytes': "));

  Options strategy = base();
  strategy.push_back({"properties.partition.assignment.strategy", "nonsense"});
  // librdkafka validates the assignor list when the client is created, not on set.
  CHECK(validate_librdkafka_properties(parse(strategy), &error));
}
