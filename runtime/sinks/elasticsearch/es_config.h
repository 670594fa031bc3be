// Settings of the Elasticsearch/OpenSearch sink, built from the WITH options
// of an `elasticsearch` (or `opensearch`) sink. Keys and defaults are those of
// compiler/bind/connector_options.cpp; this file turns their text into typed
// values. Secrets (password, api-key) arrive already resolved: the caller
// replaces secret('NAME') by its value before calling parse_es_config().
//
// Settings that are not user options (timeouts, breaker tuning) have defaults
// here and may be changed by code (tests, the executor) after parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pipec::es {

// Option key -> value text, e.g. {"hosts": "http://a:9200,http://b:9200", "bulk.max-bytes": "8mb"}.
using EsOptionMap = std::map<std::string, std::string, std::less<>>;

// A bad option value. what() names the key and the value.
class EsConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct EsAuth {
  enum class Kind : uint8_t { None, Basic, ApiKey };
  Kind kind = Kind::None;
  std::string username;  // Basic
  std::string password;  // Basic
  // ApiKey: the value sent as "Authorization: ApiKey <api_key>", i.e. the
  // base64 of "id:key" ("encoded" in Elasticsearch's create-API-key answer).
  // An "id:key" pair given in clear is base64-encoded by parse_es_config().
  std::string api_key;
};

struct EsConfig {
  // Base URLs without a trailing slash, e.g. "http://127.0.0.1:9200". A host
  // given without a scheme gets "http://". Requests go round-robin over them,
  // skipping hosts that recently failed to connect.
  std::vector<std::string> hosts;
  std::string index;  // index, alias or pattern; used by index management, not by _bulk (bodies name _index)
  EsAuth auth;
  std::string ca_file;  // PEM bundle for https; empty: the system store

  // Batching: a request is sent when it reaches max_bytes or max_actions
  // documents, or when its oldest document has waited flush_interval_ms.
  size_t bulk_max_bytes = 8u << 20;
  size_t bulk_max_actions = 5000;
  int64_t flush_interval_ms = 1000;
  int concurrency = 2;  // bulk requests in flight
  // Off by default, as in Vector, Kafka Connect and Flink: on a LAN gzip
  // costs pipec ~0.4 s of CPU per million documents and OpenSearch ~10 % more
  // to inflate; turn it on where bandwidth is scarce or billed.
  bool gzip = false;
  int gzip_level = 1;  // deflate level: 1 is ~5x smaller on _bulk NDJSON at a fraction of level 6's cost

  // Retries (per document): full-jitter exponential backoff.
  int retry_max_attempts = 8;
  int64_t retry_initial_backoff_ms = 100;
  int64_t retry_max_backoff_ms = 30'000;
  // Upper bound on the bytes of documents the client holds (open batch,
  // queued, in flight, waiting for a retry). Past it submit() refuses. The
  // client holds less when its requests are smaller than bulk_max_bytes:
  // concurrency + 2 requests of the size they really have (see
  // BulkClient's hold limit); 32 MiB is four full default requests.
  size_t retry_max_buffered_bytes = 32u << 20;

  // Index management at start-up ("none" | "index" | "template").
  std::string index_create = "index";
  int index_shards = 1;
  int index_replicas = 1;
  std::string index_refresh_interval;  // e.g. "1000ms"; empty: the server's default

  // pipec run --batch (the alias is `index`): versions kept (the live one
  // included), what happens to a load that failed validation, force-merge
  // target (0: none), documents sampled and compared, and the lowest
  // constraint pass rate that allows the swap, overall and per constraint.
  int batch_keep_versions = 2;
  bool batch_delete_failed = false;
  int batch_max_segments = 1;
  int batch_sample_size = 100;
  double batch_min_pass_rate = 0.99;
  std::optional<double> batch_max_count_change;  // against the live version; unset: not checked
  std::map<std::string, double, std::less<>> batch_min_pass_rate_by_constraint;

  // Not user options.
  int64_t connect_timeout_ms = 5'000;
  int64_t request_timeout_ms = 120'000;  // a whole _bulk round trip, body upload included
  int breaker_failure_threshold = 5;     // consecutive failed requests that open the breaker
  int64_t breaker_probe_interval_ms = 1'000;      // first health probe after opening
  int64_t breaker_max_probe_interval_ms = 10'000; // probes back off up to this
  int64_t host_down_ms = 2'000;          // a host that refused a connection is skipped this long
};

// Builds an EsConfig from option text. Unknown keys are ignored (the binder
// has validated them); missing keys keep the defaults above. Throws
// EsConfigError for a value that does not parse or is out of range, and when
// `hosts` is missing or empty.
EsConfig parse_es_config(const EsOptionMap& options);

// Splits "a, b ,c" on commas, trimming blanks; drops empty entries.
std::vector<std::string> split_host_list(std::string_view text);
// "host:9200" -> "http://host:9200"; strips trailing slashes. Throws
// EsConfigError for a scheme other than http/https or an empty host.
std::string normalize_host_url(std::string_view host);

}  // namespace pipec::es
