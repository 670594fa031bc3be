#include "runtime/sinks/elasticsearch/circuit_breaker.h"

#include <algorithm>

namespace pipec::es {

const char* breaker_state_name(BreakerState s) {
  switch (s) {
    case BreakerState::Closed: return "closed";
    case BreakerState::Open: return "open";
    case BreakerState::HalfOpen: return "half-open";
  }
  return "?";
}

CircuitBreaker::CircuitBreaker(int failure_threshold, ms probe_interval, ms max_probe_interval)
    : threshold_(std::max(1, failure_threshold)),
      base_interval_(std::max(ms(1), probe_interval)),
      max_interval_(std::max(base_interval_, max_probe_interval)),
      interval_(base_interval_) {}

void CircuitBreaker::on_success() {
  failures_ = 0;
  // A request answered while HalfOpen (one sent before the breaker opened)
  // proves the cluster is reachable as well as a probe does.
  if (state_ != BreakerState::Closed) {
    state_ = BreakerState::Closed;
    interval_ = base_interval_;
  }
}

void CircuitBreaker::on_failure(clock::time_point now) {
  ++failures_;
  if (state_ == BreakerState::Closed && failures_ >= threshold_) open(now);
}

void CircuitBreaker::open(clock::time_point now) {
  state_ = BreakerState::Open;
  ++opened_;
  interval_ = base_interval_;
  next_probe_ = now + interval_;
}

bool CircuitBreaker::should_probe(clock::time_point now) {
  if (state_ != BreakerState::Open || now < next_probe_) return false;
  state_ = BreakerState::HalfOpen;
  return true;
}

void CircuitBreaker::on_probe_result(bool healthy, clock::time_point now) {
  if (state_ != BreakerState::HalfOpen) return;
  if (healthy) {
    state_ = BreakerState::Closed;
    failures_ = 0;
    interval_ = base_interval_;
    return;
  }
  state_ = BreakerState::Open;
  interval_ = std::min(max_interval_, interval_ * 2);
  next_probe_ = now + interval_;
}

}  // namespace pipec::es
