#include "runtime/sources/kafka/kafka_config.h"

#include <librdkafka/rdkafka.h>

#include <charconv>
#include <limits>

#include "compiler/bind/connector_options.h"

namespace pipec {

namespace {

constexpr std::string_view kPropertiesPrefix = "properties.";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_int(std::string_view text, int64_t* out) {
  text = trim(text);
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && p == text.data() + text.size() && !text.empty();
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// Properties pipec decides itself, with the reason given to the user.
const char* reserved_reason(std::string_view key) {
  if (key == "enable.auto.commit" || key == "enable.auto.offset.store")
    return "pipec commits offsets itself, only after the sink acknowledged the records";
  if (key == "auto.offset.reset") return "use 'scan.startup.mode' (earliest|latest|group-offsets|timestamp)";
  if (key == "enable.partition.eof") return "pipec sets it for bounded runs";
  return nullptr;
}

bool has_property(const KafkaProperties& props, std::string_view key) {
  for (const auto& [k, v] : props)
    if (k == key) return true;
  return false;
}

}  // namespace

const char* kafka_startup_mode_name(KafkaStartupMode mode) {
  switch (mode) {
    case KafkaStartupMode::GroupOffsets: return "group-offsets";
    case KafkaStartupMode::Earliest: return "earliest";
    case KafkaStartupMode::Latest: return "latest";
    case KafkaStartupMode::Timestamp: return "timestamp";
  }
  return "?";
}

bool KafkaSourceConfig::from_options(const std::vector<std::pair<std::string, std::string>>& options,
                                     std::string_view default_group, KafkaSourceConfig* out,
                                     std::string* error) {
  KafkaSourceConfig c;
  std::optional<std::string> group, group_alias;
  bool mode_given = false;
  enum class BoundedMode { NotGiven, Unbounded, LatestOffset, Timestamp } bounded_mode = BoundedMode::NotGiven;
  for (const auto& [key, value] : options) {
    if (key == "connector" || key == "format") continue;
    if (key == "topic") {
      std::string_view rest = value;
      while (true) {
        size_t comma = rest.find(',');
        std::string_view t = trim(rest.substr(0, comma));
        if (!t.empty()) c.topics.emplace_back(t);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (key == "properties.bootstrap.servers") {
      c.bootstrap_servers = trim(value);
    } else if (key == "properties.group.id") {
      group = value;
    } else if (key == "group.id") {
      group_alias = value;
    } else if (key.starts_with(kPropertiesPrefix)) {
      std::string prop = key.substr(kPropertiesPrefix.size());
      if (prop.empty()) return fail(error, "option 'properties.' names no librdkafka property");
      if (const char* why = reserved_reason(prop))
        return fail(error, "option '" + key + "' cannot be set: " + why);
      c.properties.emplace_back(std::move(prop), value);
    } else if (key == "scan.startup.mode") {
      mode_given = true;
      std::string_view v = trim(value);
      if (v == "earliest") c.startup = KafkaStartupMode::Earliest;
      else if (v == "latest") c.startup = KafkaStartupMode::Latest;
      else if (v == "group-offsets") c.startup = KafkaStartupMode::GroupOffsets;
      else if (v == "timestamp") c.startup = KafkaStartupMode::Timestamp;
      else
        return fail(error, "option 'scan.startup.mode' is '" + value +
                               "'; expected earliest, latest, group-offsets or timestamp");
    } else if (key == "scan.bounded.mode") {
      // Flink's names for a bounded read: 'latest-offset' is the end of
      // every partition at assignment, 'timestamp' also stops at
      // scan.bounded.timestamp-millis (pipec's scan.stop.timestamp-millis).
      std::string_view v = trim(value);
      if (v == "unbounded") bounded_mode = BoundedMode::Unbounded;
      else if (v == "latest-offset") bounded_mode = BoundedMode::LatestOffset;
      else if (v == "timestamp") bounded_mode = BoundedMode::Timestamp;
      else
        return fail(error, "option 'scan.bounded.mode' is '" + value +
                               "'; expected unbounded, latest-offset or timestamp");
    } else if (key == "scan.startup.timestamp-millis" || key == "scan.stop.timestamp-millis" ||
               key == "scan.bounded.timestamp-millis") {
      int64_t ms;
      if (!parse_int(value, &ms) || ms < 0)
        return fail(error, "option '" + key + "' is '" + value + "'; expected epoch milliseconds");
      if (key == "scan.startup.timestamp-millis") {
        c.startup_timestamp_ms = ms;
      } else {
        if (c.stop_timestamp_ms && *c.stop_timestamp_ms != ms)
          return fail(error, "options 'scan.stop.timestamp-millis' and 'scan.bounded.timestamp-millis' disagree");
        c.stop_timestamp_ms = ms;
      }
    } else if (key == "max-record-bytes") {
      std::optional<int64_t> n = parse_size_bytes(value);
      if (!n || *n <= 0 || *n > int64_t{UINT32_MAX})
        return fail(error, "option 'max-record-bytes' is '" + value + "'; expected a size such as 1mb");
      c.max_record_bytes = static_cast<size_t>(*n);
    } else {
      return fail(error, "unknown kafka source option '" + key + "'");
    }
  }
  switch (bounded_mode) {
    case BoundedMode::NotGiven: break;
    case BoundedMode::Unbounded:
      if (c.stop_timestamp_ms) return fail(error, "scan.bounded.mode 'unbounded' with a stop timestamp");
      break;
    case BoundedMode::LatestOffset:
      if (c.stop_timestamp_ms)
        return fail(error, "scan.bounded.mode 'latest-offset' with a stop timestamp: use mode 'timestamp'");
      c.stop_timestamp_ms = std::numeric_limits<int64_t>::max();
      break;
    case BoundedMode::Timestamp:
      if (!c.stop_timestamp_ms) return fail(error, "scan.bounded.mode 'timestamp' needs 'scan.bounded.timestamp-millis'");
      break;
  }
  if (c.topics.empty()) return fail(error, "option 'topic' is required (comma-separated topic names)");
  if (c.bootstrap_servers.empty()) return fail(error, "option 'properties.bootstrap.servers' is required");
  if (group && group_alias && *group != *group_alias)
    return fail(error, "options 'properties.group.id' ('" + *group + "') and 'group.id' ('" + *group_alias +
                           "') disagree");
  c.group_id = group ? *group : group_alias ? *group_alias : std::string(default_group);
  if (c.group_id.empty()) return fail(error, "no consumer group: set 'properties.group.id'");
  if (c.startup == KafkaStartupMode::Timestamp && !c.startup_timestamp_ms)
    return fail(error, "scan.startup.mode 'timestamp' needs 'scan.startup.timestamp-millis'");
  if (c.startup_timestamp_ms && c.startup != KafkaStartupMode::Timestamp)
    return fail(error, std::string("option 'scan.startup.timestamp-millis' needs scan.startup.mode 'timestamp'") +
                           (mode_given ? "" : " (the default is group-offsets)"));
  if (c.startup_timestamp_ms && c.stop_timestamp_ms && *c.stop_timestamp_ms <= *c.startup_timestamp_ms)
    return fail(error, "option 'scan.stop.timestamp-millis' must be after 'scan.startup.timestamp-millis'");
  *out = std::move(c);
  return true;
}

bool KafkaSourceConfig::want_metadata(std::string_view key) {
  if (key == "key") return with_key = true;
  if (key == "headers") return with_headers = true;
  return key == "topic" || key == "partition" || key == "offset" || key == "timestamp";
}

KafkaProperties librdkafka_properties(const KafkaSourceConfig& c) {
  KafkaProperties p;
  p.emplace_back("bootstrap.servers", c.bootstrap_servers);
  p.emplace_back("group.id", c.group_id);
  p.emplace_back("enable.auto.commit", "false");
  p.emplace_back("enable.auto.offset.store", "false");
  p.emplace_back("auto.offset.reset", c.startup == KafkaStartupMode::Latest ? "latest" : "earliest");
  if (c.bounded()) p.emplace_back("enable.partition.eof", "true");
  if (!has_property(c.properties, "partition.assignment.strategy"))
    p.emplace_back("partition.assignment.strategy", "cooperative-sticky");
  if (!has_property(c.properties, "client.id")) p.emplace_back("client.id", "pipec");
  if (!has_property(c.properties, "statistics.interval.ms")) p.emplace_back("statistics.interval.ms", "1000");
  // librdkafka 2.0.2 stops fetching a partition at 100000 queued messages and
  // then backs off; with small records a pipeline drains that faster than the
  // back-off, and stalls (measured: 330k -> 820k msgs/s consume+decode of
  // 200-byte records). Memory stays bounded by queued.max.messages.kbytes.
  if (!has_property(c.properties, "queued.min.messages")) p.emplace_back("queued.min.messages", "1000000");
  // A fetch answered at the first byte (librdkafka's default) wakes the
  // broker thread and the pipeline per producer batch: at 5,000 events/s
  // pipec spent 8.1 s CPU per M events, 4.7 s when the broker gathered 64 KB
  // or 100 ms first, and 2.9 s (against 4.1 s at 64 KB, same day) with 1 MB
  // or 100 ms: below ~10 MB/s a fetch comes every 100 ms, which adds at most
  // 100 ms to the latency. A full fetch returns at once, so bulk loads do
  // not wait.
  if (!has_property(c.properties, "fetch.min.bytes")) p.emplace_back("fetch.min.bytes", "1048576");
  if (!has_property(c.properties, "fetch.wait.max.ms")) p.emplace_back("fetch.wait.max.ms", "100");
  for (const auto& kv : c.properties) p.push_back(kv);
  return p;
}

bool validate_librdkafka_properties(const KafkaSourceConfig& config, std::string* error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : librdkafka_properties(config)) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return fail(error, "kafka property '" + k + "': " + err);
    }
  }
  rd_kafka_conf_destroy(conf);
  return true;
}

std::string librdkafka_log_line(int level, const char* facility, const char* line) {
  const char* kind = level <= 3 ? "librdkafka error " : level == 4 ? "librdkafka warning " : "librdkafka ";
  return std::string(kind) + facility + ": " + line;
}

}  // namespace pipec
