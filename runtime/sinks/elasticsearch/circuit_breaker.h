// Stops sending to a cluster that keeps failing, and finds out by itself when
// it is back:
//
//   Closed   --N consecutive failed requests-->  Open
//   Open     --probe interval elapsed-->          HalfOpen (one health probe in flight)
//   HalfOpen --probe succeeded-->                 Closed
//   HalfOpen --probe failed-->                    Open (next probe interval doubled, capped)
//
// A "failed request" is one that never got an answer (connection refused,
// reset, timeout), a whole-request 429/5xx, or an answer in which every item
// was rejected as retryable (the cluster is saturated). Any success resets
// the count. While not Closed no bulk request is sent and paused() is true:
// the executor pauses its sources, so memory stays bounded.
//
// Time is passed in, so tests drive it without sleeping. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace pipec::es {

enum class BreakerState : uint8_t { Closed, Open, HalfOpen };
const char* breaker_state_name(BreakerState s);

class CircuitBreaker {
 public:
  using clock = std::chrono::steady_clock;
  using ms = std::chrono::milliseconds;

  CircuitBreaker(int failure_threshold, ms probe_interval, ms max_probe_interval);

  BreakerState state() const { return state_; }
  bool paused() const { return state_ != BreakerState::Closed; }
  // Bulk requests may be sent.
  bool allow_requests() const { return state_ == BreakerState::Closed; }

  void on_success();
  void on_failure(clock::time_point now);

  // Open and the probe interval has elapsed: moves to HalfOpen and returns
  // true; the caller sends one health probe and reports it.
  bool should_probe(clock::time_point now);
  void on_probe_result(bool healthy, clock::time_point now);

  // When Open: the time of the next probe.
  clock::time_point next_probe() const { return next_probe_; }
  int consecutive_failures() const { return failures_; }
  uint64_t times_opened() const { return opened_; }

 private:
  void open(clock::time_point now);

  int threshold_;
  ms base_interval_;
  ms max_interval_;
  ms interval_;
  BreakerState state_ = BreakerState::Closed;
  int failures_ = 0;
  uint64_t opened_ = 0;
  clock::time_point next_probe_{};
};

}  // namespace pipec::es
