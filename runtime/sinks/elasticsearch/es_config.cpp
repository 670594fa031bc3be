#include "runtime/sinks/elasticsearch/es_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "compiler/bind/connector_options.h"
#include "runtime/encode/byte_buffer.h"
#include "runtime/encode/json_writer.h"

namespace pipec::es {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

const std::string* find(const EsOptionMap& options, std::string_view key) {
  auto it = options.find(key);
  return it == options.end() ? nullptr : &it->second;
}

[[noreturn]] void bad(std::string_view key, std::string_view value, std::string_view expected) {
  throw EsConfigError(fmt::format("elasticsearch option '{}' = '{}': expected {}", key, value, expected));
}

int64_t integer(const EsOptionMap& options, std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const std::string* v = find(options, key);
  if (!v) return fallback;
  std::string_view t = trim(*v);
  int64_t n = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), n);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size() || n < min || n > max)
    bad(key, *v, fmt::format("an integer in [{}, {}]", min, max));
  return n;
}

int64_t duration(const EsOptionMap& options, std::string_view key, int64_t fallback, int64_t min) {
  const std::string* v = find(options, key);
  if (!v) return fallback;
  auto ms = parse_duration_ms(*v);
  if (!ms || *ms < min) bad(key, *v, fmt::format("a duration of at least {}ms (e.g. 500ms, 10s)", min));
  return *ms;
}

size_t size(const EsOptionMap& options, std::string_view key, size_t fallback, int64_t min) {
  const std::string* v = find(options, key);
  if (!v) return fallback;
  auto b = parse_size_bytes(*v);
  if (!b || *b < min) bad(key, *v, fmt::format("a size of at least {} bytes (e.g. 512kb, 8mb)", min));
  return static_cast<size_t>(*b);
}

bool boolean(const EsOptionMap& options, std::string_view key, bool fallback) {
  const std::string* v = find(options, key);
  if (!v) return fallback;
  std::string t(trim(*v));
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  bad(key, *v, "true or false");
}

std::string base64(std::string_view bytes) {
  ByteBuffer buf;
  append_base64(buf, bytes);
  return buf.str();
}

}  // namespace

std::vector<std::string> split_host_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = trim(text.substr(0, comma));
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string normalize_host_url(std::string_view host) {
  std::string_view h = trim(host);
  std::string url;
  size_t scheme_end = h.find("://");
  if (scheme_end == std::string_view::npos) {
    url = "http://";
    url.append(h);
  } else {
    std::string scheme(h.substr(0, scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
    if (scheme != "http" && scheme != "https")
      throw EsConfigError(fmt::format("elasticsearch host '{}': scheme must be http or https", host));
    url = scheme + std::string(h.substr(scheme_end));
  }
  size_t authority = url.find("://") + 3;
  while (url.size() > authority && url.back() == '/') url.pop_back();
  if (url.size() <= authority || url[authority] == '/' || url[authority] == ':')
    throw EsConfigError(fmt::format("elasticsearch host '{}': no host name", host));
  return url;
}

EsConfig parse_es_config(const EsOptionMap& options) {
  EsConfig c;
  const std::string* hosts = find(options, "hosts");
  if (!hosts) throw EsConfigError("elasticsearch option 'hosts' is required (http(s)://host:port, comma-separated)");
  for (const std::string& h : split_host_list(*hosts)) c.hosts.push_back(normalize_host_url(h));
  if (c.hosts.empty()) bad("hosts", *hosts, "at least one http(s)://host:port");
  if (const std::string* v = find(options, "index")) c.index = std::string(trim(*v));

  const std::string* user = find(options, "username");
  const std::string* pass = find(options, "password");
  const std::string* key = find(options, "api-key");
  if (key && !trim(*key).empty()) {
    if (user && !user->empty())
      throw EsConfigError("elasticsearch options 'api-key' and 'username' exclude each other: use one kind of authentication");
    c.auth.kind = EsAuth::Kind::ApiKey;
    std::string_view k = trim(*key);
    // "id:key" in clear is encoded; an already-encoded key (base64 has no ':') is sent as is.
    c.auth.api_key = k.find(':') != std::string_view::npos ? base64(k) : std::string(k);
  } else if (user && !user->empty()) {
    c.auth.kind = EsAuth::Kind::Basic;
    c.auth.username = *user;
    c.auth.password = pass ? *pass : std::string();
  } else if (pass && !pass->empty()) {
    throw EsConfigError("elasticsearch option 'password' needs 'username'");
  }
  if (const std::string* v = find(options, "ca-file")) c.ca_file = std::string(trim(*v));

  c.bulk_max_bytes = size(options, "bulk.max-bytes", c.bulk_max_bytes, 1024);
  c.bulk_max_actions = static_cast<size_t>(integer(options, "bulk.max-actions", static_cast<int64_t>(c.bulk_max_actions), 1, 1'000'000));
  c.flush_interval_ms = duration(options, "bulk.flush-interval", c.flush_interval_ms, 1);
  c.concurrency = static_cast<int>(integer(options, "bulk.concurrency", c.concurrency, 1, 64));
  c.gzip = boolean(options, "bulk.gzip", c.gzip);
  c.retry_max_attempts = static_cast<int>(integer(options, "retry.max-attempts", c.retry_max_attempts, 1, 1000));
  c.retry_initial_backoff_ms = duration(options, "retry.initial-backoff", c.retry_initial_backoff_ms, 1);
  c.retry_max_backoff_ms = duration(options, "retry.max-backoff", c.retry_max_backoff_ms, 1);
  if (c.retry_max_backoff_ms < c.retry_initial_backoff_ms)
    throw EsConfigError(fmt::format("elasticsearch option 'retry.max-backoff' ({}ms) is below 'retry.initial-backoff' ({}ms)",
                                    c.retry_max_backoff_ms, c.retry_initial_backoff_ms));
  c.retry_max_buffered_bytes = size(options, "retry.max-buffered-bytes", c.retry_max_buffered_bytes, 1024);
  if (c.retry_max_buffered_bytes < c.bulk_max_bytes)
    throw EsConfigError(fmt::format("elasticsearch option 'retry.max-buffered-bytes' ({} bytes) must be at least 'bulk.max-bytes' ({} bytes)",
                                    c.retry_max_buffered_bytes, c.bulk_max_bytes));

  if (const std::string* v = find(options, "index.create")) {
    std::string t(trim(*v));
    std::transform(t.begin(), t.end(), t.begin(), ::tolower);
    if (t != "none" && t != "index" && t != "template") bad("index.create", *v, "none, index or template");
    c.index_create = t;
  }
  c.index_shards = static_cast<int>(integer(options, "index.shards", c.index_shards, 1, 1024));
  c.index_replicas = static_cast<int>(integer(options, "index.replicas", c.index_replicas, 0, 64));
  if (find(options, "index.refresh-interval"))
    c.index_refresh_interval = fmt::format("{}ms", duration(options, "index.refresh-interval", 0, 1));

  c.batch_keep_versions = static_cast<int>(integer(options, "batch.keep-versions", c.batch_keep_versions, 1, 1000));
  if (const std::string* v = find(options, "batch.on-failure")) {
    if (*v != "keep" && *v != "delete") bad("batch.on-failure", *v, "keep or delete");
    c.batch_delete_failed = *v == "delete";
  }
  c.batch_max_segments = static_cast<int>(integer(options, "batch.max-segments", c.batch_max_segments, 0, 1000));
  c.batch_sample_size = static_cast<int>(integer(options, "batch.sample-size", c.batch_sample_size, 0, 10'000));
  if (const std::string* v = find(options, "batch.max-count-change")) {
    c.batch_max_count_change = parse_fraction(*v);
    if (!c.batch_max_count_change) bad("batch.max-count-change", *v, "a fraction between 0 and 1 (e.g. 0.2 or 20%)");
  }
  constexpr std::string_view kPassRate = "batch.min-pass-rate";
  for (const auto& [key, value] : options) {
    if (key.compare(0, kPassRate.size(), kPassRate) != 0) continue;
    std::optional<double> rate = parse_fraction(value);
    if (!rate) bad(key, value, "a fraction between 0 and 1 (e.g. 0.99 or 99%)");
    if (key.size() == kPassRate.size()) c.batch_min_pass_rate = *rate;
    else if (key[kPassRate.size()] == '.' && key.size() > kPassRate.size() + 1)
      c.batch_min_pass_rate_by_constraint[key.substr(kPassRate.size() + 1)] = *rate;
  }
  return c;
}

}  // namespace pipec::es
