#include "compiler/bind/connector_options.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace pipec {

using K = ast::RelationKind;
using T = OptionType;

const std::vector<OptionSpec>& all_option_specs() {
  static const std::vector<OptionSpec> specs = {
      // ---- kafka source
      {"kafka", K::Source, false, "topic", T::String, true, "", "topic to consume (comma-separated for several)"},
      {"kafka", K::Source, false, "properties.bootstrap.servers", T::String, true, "", "broker list"},
      {"kafka", K::Source, false, "properties.group.id", T::String, false, "", "consumer group (default: pipeline name)"},
      {"kafka", K::Source, false, "group.id", T::String, false, "", "alias of properties.group.id"},
      {"kafka", K::Source, false, "properties.", T::String, false, "", "passed through to librdkafka (TLS, SASL, ...)"},
      {"kafka", K::Source, false, "scan.startup.mode", T::Enum, false, "earliest|latest|group-offsets|timestamp",
       "where to start without committed offsets (default group-offsets, falling back to earliest)"},
      {"kafka", K::Source, false, "scan.startup.timestamp-millis", T::Integer, false, "", "start time for mode 'timestamp'"},
      {"kafka", K::Source, false, "scan.stop.timestamp-millis", T::Integer, false, "", "stop at this event time (backfill)"},
      {"kafka", K::Source, false, "scan.bounded.mode", T::Enum, false, "unbounded|latest-offset|timestamp",
       "Flink's bounded read: stop at the end of every partition at assignment (latest-offset), and at scan.bounded.timestamp-millis (timestamp)"},
      {"kafka", K::Source, false, "scan.bounded.timestamp-millis", T::Integer, false, "", "alias of scan.stop.timestamp-millis (with scan.bounded.mode 'timestamp')"},
      {"kafka", K::Source, false, "max-record-bytes", T::Size, false, "", "larger records are dead-lettered (default 1mb)"},
      // ---- file source / lookup table
      {"file", K::Source, false, "path", T::Path, true, "", "NDJSON file or glob"},
      {"file", K::Source, false, "max-record-bytes", T::Size, false, "", "longer lines are dead-lettered (default 1mb)"},
      {"file", K::Table, false, "path", T::Path, true, "", "NDJSON or CSV file"},
      {"file", K::Table, false, "csv.delimiter", T::String, false, "", "CSV field delimiter (default ',')"},
      {"file", K::Table, false, "csv.header", T::Boolean, false, "", "first CSV line names the columns (default true)"},
      // ---- elasticsearch / opensearch sink
      {"elasticsearch", K::Sink, false, "hosts", T::String, true, "", "http(s)://host:port, comma-separated"},
      {"elasticsearch", K::Sink, false, "index", T::String, true, "", "index or alias; date patterns like orders-{ts|yyyy.MM.dd}"},
      {"elasticsearch", K::Sink, false, "document.id", T::String, false, "", "comma-separated key columns hashed into _id"},
      {"elasticsearch", K::Sink, false, "username", T::String, false, "", "basic auth user"},
      {"elasticsearch", K::Sink, false, "password", T::String, false, "", "basic auth password (use secret())"},
      {"elasticsearch", K::Sink, false, "api-key", T::String, false, "", "API key (use secret())"},
      {"elasticsearch", K::Sink, false, "ca-file", T::Path, false, "", "CA bundle for HTTPS"},
      {"elasticsearch", K::Sink, false, "bulk.max-bytes", T::Size, false, "", "flush a bulk request at this size (default 8mb)"},
      {"elasticsearch", K::Sink, false, "bulk.max-actions", T::Integer, false, "", "flush at this many documents (default 5000)"},
      {"elasticsearch", K::Sink, false, "bulk.flush-interval", T::Duration, false, "", "flush at least this often (default 1s)"},
      {"elasticsearch", K::Sink, false, "bulk.concurrency", T::Integer, false, "", "bulk requests in flight (default 2)"},
      {"elasticsearch", K::Sink, false, "bulk.gzip", T::Boolean, false, "", "gzip request bodies (default false: worth it on scarce or billed bandwidth, not on a LAN)"},
      {"elasticsearch", K::Sink, false, "retry.max-attempts", T::Integer, false, "", "attempts per item on 429/5xx (default 8)"},
      {"elasticsearch", K::Sink, false, "retry.initial-backoff", T::Duration, false, "", "first backoff, doubled per attempt (default 100ms)"},
      {"elasticsearch", K::Sink, false, "retry.max-backoff", T::Duration, false, "", "backoff cap (default 30s)"},
      {"elasticsearch", K::Sink, false, "retry.max-buffered-bytes", T::Size, false, "", "most bytes of documents held (batching, in flight, retrying) before backpressure; pipec holds concurrency + 2 requests' worth within it (default 32mb)"},
      {"elasticsearch", K::Sink, false, "index.create", T::Enum, false, "none|index|template", "create the index or template from the schema (default index; with it a template for that one name, so that an index deleted during the run comes back with this mapping; an alias of that name is written through); an index that exists keeps its mapping, and how it differs from the schema is a warning"},
      {"elasticsearch", K::Sink, false, "index.shards", T::Integer, false, "", "primary shards for created indices"},
      {"elasticsearch", K::Sink, false, "index.replicas", T::Integer, false, "", "replicas for created indices"},
      {"elasticsearch", K::Sink, false, "index.refresh-interval", T::Duration, false, "", "refresh interval of created indices (default: the server's, 1s)"},
      // ---- pipec run --batch: a versioned index per load, validated, then the alias ('index') swapped
      {"elasticsearch", K::Sink, false, "batch.keep-versions", T::Integer, false, "", "versions kept behind the alias, the live one included (default 2)"},
      {"elasticsearch", K::Sink, false, "batch.on-failure", T::Enum, false, "keep|delete", "a load that failed validation: keep its index for inspection or delete it (default keep)"},
      {"elasticsearch", K::Sink, false, "batch.max-segments", T::Integer, false, "", "force-merge target before the swap; 0: no force-merge (default 1)"},
      {"elasticsearch", K::Sink, false, "batch.sample-size", T::Integer, false, "", "documents fetched back and compared with what was sent (default 100)"},
      {"elasticsearch", K::Sink, false, "batch.min-pass-rate", T::Fraction, false, "", "lowest constraint pass rate that allows the swap (default 0.99)"},
      {"elasticsearch", K::Sink, false, "batch.min-pass-rate.", T::Fraction, false, "", "the same for one constraint: 'batch.min-pass-rate.<constraint>'"},
      {"elasticsearch", K::Sink, false, "batch.max-count-change", T::Fraction, false, "", "largest change of the document count against the live version that allows the swap, e.g. 20% (default: not checked)"},
      // ---- stdout / file sinks write the same _bulk NDJSON
      {"stdout", K::Sink, false, "index", T::String, false, "", "index name in action lines (default: sink name)"},
      {"stdout", K::Sink, false, "document.id", T::String, false, "", "comma-separated key columns hashed into _id"},
      {"file", K::Sink, false, "path", T::Path, true, "", "output file"},
      {"file", K::Sink, false, "index", T::String, false, "", "index name in action lines (default: sink name)"},
      {"file", K::Sink, false, "document.id", T::String, false, "", "comma-separated key columns hashed into _id"},
      // ---- pipelines
      {"pipeline", K::Source, true, "dead-letter.path", T::Path, false, "", "NDJSON file for dead letters (default <pipeline>.dlq.ndjson)"},
      {"pipeline", K::Source, true, "dead-letter.topic", T::String, false, "", "Kafka topic for dead letters (docs/dead-letters.md)"},
      {"pipeline", K::Source, true, "dead-letter.kafka.", T::String, false, "",
       "librdkafka producer properties of the dead-letter topic (bootstrap.servers defaults to the kafka source's)"},
      {"pipeline", K::Source, true, "batch.size", T::Integer, false, "", "rows per columnar batch (default 4096)"},
      {"pipeline", K::Source, true, "checkpoint.dir", T::Path, false, "",
       "directory of the window/dedup state checkpoints of a streaming run (docs/state-and-checkpoints.md)"},
      {"pipeline", K::Source, true, "checkpoint.interval", T::Duration, false, "", "time between checkpoints (default 30s)"},
      {"pipeline", K::Source, true, "checkpoint.retained", T::Integer, false, "", "checkpoints kept (default 3)"},
      {"pipeline", K::Source, true, "notify.webhook", T::String, false, "", "URL posted to when the pipeline fails"},
  };
  return specs;
}

std::vector<std::string> connectors_for(ast::RelationKind kind) {
  switch (kind) {
    case K::Source: return {"kafka", "file"};
    case K::Table: return {"file"};
    case K::Sink: return {"elasticsearch", "opensearch", "stdout", "file"};
  }
  return {};
}

namespace {
std::string_view canonical_connector(std::string_view c) { return c == "opensearch" ? "elasticsearch" : c; }
}  // namespace

const OptionSpec* find_option_spec(std::string_view connector, ast::RelationKind kind, bool for_pipeline,
                                   std::string_view key) {
  connector = canonical_connector(connector);
  const OptionSpec* prefix_match = nullptr;
  for (const auto& s : all_option_specs()) {
    if (s.for_pipeline != for_pipeline) continue;
    if (!for_pipeline && (s.connector != connector || s.kind != kind)) continue;
    std::string_view k = s.key;
    if (k == key) return &s;
    if (!k.empty() && k.back() == '.' && key.size() > k.size() && key.substr(0, k.size()) == k) prefix_match = &s;
  }
  return prefix_match;
}

std::vector<std::string> option_keys(std::string_view connector, ast::RelationKind kind, bool for_pipeline) {
  connector = canonical_connector(connector);
  std::vector<std::string> out;
  for (const auto& s : all_option_specs()) {
    if (s.for_pipeline != for_pipeline) continue;
    if (!for_pipeline && (s.connector != connector || s.kind != kind)) continue;
    out.push_back(s.key);
  }
  return out;
}

namespace {
std::optional<std::pair<int64_t, std::string>> number_and_unit(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  int64_t n = 0;
  auto r = std::from_chars(text.data() + i, text.data() + text.size(), n);
  if (r.ec != std::errc() || n < 0) return std::nullopt;
  std::string unit;
  for (const char* p = r.ptr; p < text.data() + text.size(); ++p)
    if (!std::isspace(static_cast<unsigned char>(*p))) unit.push_back(static_cast<char>(std::tolower(*p)));
  return std::make_pair(n, unit);
}

std::optional<int64_t> scaled(int64_t n, int64_t factor) {
  int64_t out;
  if (__builtin_mul_overflow(n, factor, &out)) return std::nullopt;
  return out;
}
}  // namespace

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  auto nu = number_and_unit(text);
  if (!nu) return std::nullopt;
  auto [n, unit] = *nu;
  if (unit.empty() || unit == "ms") return n;
  if (unit == "s" || unit == "sec" || unit == "second" || unit == "seconds") return scaled(n, 1000);
  if (unit == "m" || unit == "min" || unit == "minute" || unit == "minutes") return scaled(n, 60'000);
  if (unit == "h" || unit == "hour" || unit == "hours") return scaled(n, 3'600'000);
  if (unit == "d" || unit == "day" || unit == "days") return scaled(n, 86'400'000);
  return std::nullopt;
}

std::optional<int64_t> parse_size_bytes(std::string_view text) {
  auto nu = number_and_unit(text);
  if (!nu) return std::nullopt;
  auto [n, unit] = *nu;
  if (unit.empty() || unit == "b") return n;
  if (unit == "kb" || unit == "k" || unit == "kib") return scaled(n, 1024);
  if (unit == "mb" || unit == "m" || unit == "mib") return scaled(n, 1024 * 1024);
  if (unit == "gb" || unit == "g" || unit == "gib") return scaled(n, 1024LL * 1024 * 1024);
  return std::nullopt;
}

std::optional<double> parse_fraction(std::string_view text) {
  std::string t;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) t.push_back(c);
  bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  double v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  if (percent) v /= 100;
  if (!(v >= 0 && v <= 1)) return std::nullopt;
  return v;
}

bool is_secret_key(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), ::tolower);
  for (const char* word : {"password", "api-key", "apikey", "api_key", "secret", "token", "credential", "private.key"})
    if (k.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace pipec
