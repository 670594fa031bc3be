#include "runtime/sinks/elasticsearch/es_http.h"

#include <cctype>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

namespace pipec::es {

void ensure_curl_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void apply_common_options(CURL* easy, const EsConfig& c, CurlHeaders& headers, int64_t timeout_ms) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(c.connect_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  // Compressed answers only with compressed requests (bulk.gzip): on a LAN,
  // gzipping a 5,000-item _bulk answer costs the cluster more CPU than the
  // bytes saved are worth, and inflating it costs pipec ~0.6 % of its CPU.
  if (c.gzip) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate, decoded by curl
  if (!c.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, c.ca_file.c_str());
  switch (c.auth.kind) {
    case EsAuth::Kind::Basic:
      curl_easy_setopt(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
      curl_easy_setopt(easy, CURLOPT_USERNAME, c.auth.username.c_str());
      curl_easy_setopt(easy, CURLOPT_PASSWORD, c.auth.password.c_str());
      break;
    case EsAuth::Kind::ApiKey:
      headers.add("Authorization: ApiKey " + c.auth.api_key);
      break;
    case EsAuth::Kind::None: break;
  }
  headers.add("Expect:");
}

HostRotation::HostRotation(std::vector<std::string> hosts, int64_t down_ms)
    : hosts_(std::move(hosts)), down_until_(hosts_.size()), down_(down_ms) {
  if (hosts_.empty()) throw std::invalid_argument("elasticsearch: no hosts");
}

size_t HostRotation::next(clock::time_point now) {
  size_t n = hosts_.size();
  size_t best = cursor_ % n;
  for (size_t k = 0; k < n; ++k) {
    size_t i = (cursor_ + k) % n;
    if (down_until_[i] <= now) {
      cursor_ = i + 1;
      return i;
    }
    if (down_until_[i] < down_until_[best]) best = i;
  }
  cursor_ = best + 1;  // all down: the one that comes back first
  return best;
}

void HostRotation::mark_down(size_t i, clock::time_point now) {
  if (hosts_.size() > 1) down_until_[i] = now + down_;
}

bool is_connect_failure(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY;
}

std::string transport_error_text(CURLcode code, const char* error_buffer, const EsConfig& config) {
  std::string text = error_buffer && error_buffer[0] ? error_buffer : curl_easy_strerror(code);
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      if (config.ca_file.empty())
        text += "; set 'ca-file' to the CA certificate (PEM) that signed the cluster's certificate";
      else
        text += fmt::format("; check 'ca-file' ({}): it must hold the CA certificate (PEM) that signed the "
                            "cluster's certificate", config.ca_file);
      break;
    default: break;
  }
  return text;
}

namespace {
size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}
}  // namespace

HttpSession::HttpSession(const EsConfig& config) : config_(config), hosts_(config.hosts, config.host_down_ms) {
  ensure_curl_initialized();
  easy_ = curl_easy_init();
  if (!easy_) throw std::runtime_error("curl_easy_init failed");
}

HttpSession::~HttpSession() { curl_easy_cleanup(easy_); }

HttpResponse HttpSession::request(std::string_view method, std::string_view path, std::string_view body,
                                  std::string_view content_type) {
  HttpResponse r;
  for (size_t tries = 0; tries < hosts_.size(); ++tries) {
    size_t h = hosts_.next(HostRotation::clock::now());
    r = HttpResponse{};
    r.host = hosts_.host(h);
    curl_easy_reset(easy_);  // keeps the connection cache
    CurlHeaders headers;
    apply_common_options(easy_, config_, headers, config_.request_timeout_ms);
    if (!body.empty() || method == "POST" || method == "PUT") headers.add(fmt::format("Content-Type: {}", content_type));
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers.get());
    std::string url = r.host + std::string(path);
    curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
    if (method == "HEAD") {
      curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, std::string(method).c_str());
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &r.body);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error);
    CURLcode rc = curl_easy_perform(easy_);
    if (rc == CURLE_OK) {
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &r.status);
      hosts_.mark_up(h);
      return r;
    }
    r.transport_error = fmt::format("{} ({})", transport_error_text(rc, error, config_), r.host);
    if (!is_connect_failure(rc)) return r;  // the server may have acted on it: do not repeat elsewhere
    hosts_.mark_down(h, HostRotation::clock::now());
  }
  return r;
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '*' || c == ',') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace pipec::es
