// `pipec run --notify-url URL`: JSON POSTs to a webhook (Slack incoming
// webhooks, PagerDuty/Opsgenie bridges, anything that takes JSON) when a run
// fails, when a sink stays unreachable, and optionally when a run succeeds.
// Delivery runs on its own thread through libcurl, retried with jittered
// backoff; it never blocks or fails the pipeline, and a notification that
// could not be delivered is logged on stderr.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace pipec::observe {

// What happened, for the payload (docs/operations.md shows one).
struct Notification {
  std::string event;   // run_failed | run_succeeded | sink_unavailable | sink_recovered
  std::string run_id;
  std::string pipeline;
  std::string status;  // the pipeline's status: failed, io_error, ok, running
  std::string error;   // empty when none
  std::string dead_letter_location;
  uint64_t dead_letters = 0;
  uint64_t events_in = 0;
  uint64_t events_out = 0;
  std::string host;
  int64_t time_millis = 0;
};

// The JSON body: every field above, plus `text` — a one-line summary, the
// field Slack and Mattermost webhooks display.
std::string notification_json(const Notification& n);

struct WebhookOptions {
  std::string url;
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds request_timeout{3000};
};

class WebhookNotifier {
 public:
  explicit WebhookNotifier(WebhookOptions options);
  // Waits for pending deliveries (drain(5 s)), then gives up on the rest.
  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Queues `n` for delivery; returns at once.
  void post(const Notification& n);
  // Waits until every queued notification was delivered or given up, at
  // most `timeout`. True when nothing is left.
  bool drain(std::chrono::milliseconds timeout);

  uint64_t delivered() const;
  uint64_t failed() const;

 private:
  struct Pending {
    std::string event;
    std::string body;
  };
  void loop();
  // One delivery with retries; empty on success, else the last error.
  std::string deliver(const std::string& body);
  // Sleeps, unless stopping. False when stopping.
  bool sleep_unless_stopping(std::chrono::milliseconds d);

  WebhookOptions options_;
  std::string shown_url_;  // scheme://host:port only: webhook paths carry secrets
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  uint64_t delivered_ = 0;
  uint64_t failed_ = 0;
  std::thread thread_;
};

}  // namespace pipec::observe
