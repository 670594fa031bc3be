#include "runtime/observe/webhook_notifier.h"

#include <cstdio>

#include <curl/curl.h>
#include <fmt/format.h>

#include "runtime/common/json_writer.h"
#include "runtime/common/thread_name.h"
#include "runtime/common/timestamp.h"
#include "runtime/sinks/elasticsearch/es_http.h"
#include "runtime/sinks/elasticsearch/retry_policy.h"

namespace pipec::observe {

namespace {

std::string iso_time(int64_t millis) {
  char text[kMaxIso8601Length + 1];
  size_t n = format_iso8601_millis(millis, text);
  return std::string(text, n);
}

std::string summary_line(const Notification& n) {
  std::string where = n.host.empty() ? "" : " on " + n.host;
  if (n.event == "run_failed")
    return fmt::format("pipec: pipeline '{}' FAILED{}: {} ({} events in, {} out, {} dead letters -> {}; run {})",
                       n.pipeline, where, n.error, n.events_in, n.events_out, n.dead_letters,
                       n.dead_letter_location, n.run_id);
  if (n.event == "sink_unavailable")
    return fmt::format("pipec: pipeline '{}'{}: the sink is unreachable, its circuit breaker is open: {} (run {})",
                       n.pipeline, where, n.error, n.run_id);
  if (n.event == "sink_recovered")
    return fmt::format("pipec: pipeline '{}'{}: the sink is reachable again (run {})", n.pipeline, where, n.run_id);
  return fmt::format("pipec: pipeline '{}' finished{}: {} events in, {} out, {} dead letters (run {})", n.pipeline,
                     where, n.events_in, n.events_out, n.dead_letters, n.run_id);
}

// scheme://host[:port] of a URL, without path or query (they carry tokens).
std::string origin_of(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string origin = url.substr(0, end);
  if (size_t at = origin.find('@', start); at != std::string::npos) origin.erase(start, at + 1 - start);
  return origin;
}

size_t discard_body(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

std::string notification_json(const Notification& n) {
  JsonWriter w(false);
  w.begin_object();
  w.field("event", n.event);
  w.field("run_id", n.run_id);
  w.field("pipeline", n.pipeline);
  w.field("status", n.status);
  w.key("error");
  if (n.error.empty()) w.null(); else w.value(n.error);
  w.key("dead_letters").begin_object();
  w.field("location", n.dead_letter_location);
  w.field("count", n.dead_letters);
  w.end_object();
  w.key("counts").begin_object();
  w.field("events_in", n.events_in);
  w.field("events_out", n.events_out);
  w.end_object();
  w.field("host", n.host);
  w.field("time", iso_time(n.time_millis));
  w.field("text", summary_line(n));
  w.end_object();
  return w.take();
}

WebhookNotifier::WebhookNotifier(WebhookOptions options)
    : options_(std::move(options)), shown_url_(origin_of(options_.url)) {
  es::ensure_curl_initialized();
  thread_ = std::thread([this] {
    set_current_thread_name("pipec-notify");
    loop();
  });
}

WebhookNotifier::~WebhookNotifier() {
  drain(std::chrono::seconds(5));
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (const auto& p : queue_)
    std::fprintf(stderr, "pipec run: warning: the '%s' notification to %s was not sent (pipec is exiting)\n",
                 p.event.c_str(), shown_url_.c_str());
}

void WebhookNotifier::post(const Notification& n) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Pending{n.event, notification_json(n)});
  }
  cv_.notify_all();
}

bool WebhookNotifier::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

uint64_t WebhookNotifier::delivered() const {
  std::lock_guard lock(mu_);
  return delivered_;
}

uint64_t WebhookNotifier::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

bool WebhookNotifier::sleep_unless_stopping(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

std::string WebhookNotifier::deliver(const std::string& body) {
  es::RetryPolicy retry(options_.max_attempts, options_.initial_backoff, options_.initial_backoff * 8);
  std::string error;
  for (int attempt = 1;; ++attempt) {
    CURL* easy = curl_easy_init();
    if (!easy) return "cannot create a curl handle";
    es::CurlHeaders headers;
    headers.add("Content-Type: application/json");
    headers.add("Expect:");
    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(easy, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard_body);
    CURLcode rc = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(easy);
    if (rc == CURLE_OK && status >= 200 && status < 300) return "";
    error = rc != CURLE_OK ? (curl_error[0] ? curl_error : curl_easy_strerror(rc)) : fmt::format("HTTP {}", status);
    // A 4xx other than 429 will not change by retrying.
    bool retryable = rc != CURLE_OK || status == 429 || status >= 500;
    if (!retryable || !retry.can_retry(attempt)) return fmt::format("{} (attempt {} of {})", error, attempt,
                                                                     options_.max_attempts);
    if (!sleep_unless_stopping(retry.backoff(attempt))) return error + " (pipec is exiting)";
  }
}

void WebhookNotifier::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    std::string error = deliver(p.body);
    if (!error.empty())
      std::fprintf(stderr, "pipec run: warning: could not deliver the '%s' notification to %s: %s\n",
                   p.event.c_str(), shown_url_.c_str(), error.c_str());
    lock.lock();
    busy_ = false;
    (error.empty() ? delivered_ : failed_)++;
    cv_.notify_all();
  }
}

}  // namespace pipec::observe
