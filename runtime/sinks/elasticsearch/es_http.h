// The HTTP plumbing shared by the bulk client and index management: libcurl
// handle set-up from an EsConfig (auth, CA bundle, timeouts, keep-alive),
// host rotation with failover, and a small synchronous session for admin
// calls. Bulk traffic uses the same set-up on curl multi handles
// (bulk_client.cpp).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sinks/elasticsearch/es_config.h"

namespace pipec::es {

// curl_global_init once per process (thread-safe).
void ensure_curl_initialized();

// Owns a curl_slist.
class CurlHeaders {
 public:
  CurlHeaders() = default;
  CurlHeaders(const CurlHeaders&) = delete;
  CurlHeaders& operator=(const CurlHeaders&) = delete;
  ~CurlHeaders() { curl_slist_free_all(list_); }
  void add(const std::string& line) { list_ = curl_slist_append(list_, line.c_str()); }
  curl_slist* get() const { return list_; }
  void reset() {
    curl_slist_free_all(list_);
    list_ = nullptr;
  }

 private:
  curl_slist* list_ = nullptr;
};

// Sets auth, TLS, timeouts, keep-alive and NOSIGNAL on `easy`, and adds the
// Authorization header for API keys plus "Expect:" (no 100-continue round
// trip) to `headers`. The caller sets URL, method, body and callbacks.
void apply_common_options(CURL* easy, const EsConfig& config, CurlHeaders& headers, int64_t timeout_ms);

// Round-robin over the configured hosts; a host that failed to connect is
// skipped for EsConfig::host_down_ms unless every host is down.
class HostRotation {
 public:
  using clock = std::chrono::steady_clock;
  explicit HostRotation(std::vector<std::string> hosts, int64_t down_ms);
  // Index of the host to use next.
  size_t next(clock::time_point now);
  const std::string& host(size_t i) const { return hosts_[i]; }
  size_t size() const { return hosts_.size(); }
  void mark_down(size_t i, clock::time_point now);
  void mark_up(size_t i) { down_until_[i] = clock::time_point{}; }

 private:
  std::vector<std::string> hosts_;
  std::vector<clock::time_point> down_until_;
  std::chrono::milliseconds down_;
  size_t cursor_ = 0;
};

// A curl error that means nothing reached the server (so no attempt of any
// document was used up): refused, unresolvable, unreachable.
// curl's detailed message (its error buffer, else the code's text), with a
// hint for certificate problems, which almost always mean a missing or wrong
// 'ca-file': "SSL certificate problem: unable to get local issuer
// certificate; check 'ca-file' (/etc/ca.pem): it must hold the CA that
// signed the cluster's certificate".
std::string transport_error_text(CURLcode code, const char* error_buffer, const EsConfig& config);
bool is_connect_failure(CURLcode code);

struct HttpResponse {
  long status = 0;          // 0: no HTTP answer (see transport_error)
  std::string body;
  std::string transport_error;  // curl's message when status == 0
  std::string host;         // the host that answered (or failed last)
};

// Synchronous requests for index management: one keep-alive connection per
// host, failover to the next host on a transport error. Not thread-safe.
class HttpSession {
 public:
  explicit HttpSession(const EsConfig& config);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // method: GET, PUT, POST, DELETE, HEAD. path starts with '/'.
  HttpResponse request(std::string_view method, std::string_view path, std::string_view body = {},
                       std::string_view content_type = "application/json");

 private:
  EsConfig config_;
  HostRotation hosts_;
  CURL* easy_ = nullptr;
};

// Percent-encodes a path segment (index, alias, template names).
std::string url_encode(std::string_view segment);

}  // namespace pipec::es
