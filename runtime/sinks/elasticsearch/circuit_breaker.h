// Stops sending to a cluster that keeps failing, and finds out by itself when
// it is back:
//
//   Closed   --N consecutive failed requests-->  Open
//   Open     --probe interval elapsed-->          HalfOpen (one health probe in flight)
//   HalfOpen --probe succeeded-->                 Closed, on probation
//   HalfOpen --probe failed-->                    Open (next probe interval doubled, capped)
//   on probation --a failed request-->            Open (next probe interval doubled, capped)
//
// Probation: a healthy cluster may still refuse writes (an index write
// block, the disk flood stage): until a request succeeds, one failure opens
// the breaker again, and probes come ever less often.
//
// A "failed request" is one that never got an answer (connection refused,
// reset, timeout), a whole-request 429/5xx, or an answer in which every item
// was rejected as retryable or blocked (the cluster is saturated or refuses
// writes). Any success resets
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
  // Closed after a healthy probe, and no request has succeeded since.
  bool on_probation() const { return probation_; }
  uint64_t times_opened() const { return opened_; }

 private:
  void open(clock::time_point now);

  int threshold_;
  ms base_interval_;
  ms max_interval_;
  ms interval_;
  BreakerState state_ = BreakerState::Closed;
  int failures_ = 0;
  bool probation_ = false;
  uint64_t opened_ = 0;
  clock::time_point next_probe_{};
};

}  // namespace pipec::es
