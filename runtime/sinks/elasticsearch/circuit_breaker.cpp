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
  probation_ = false;
  interval_ = base_interval_;
  // A request answered while HalfOpen (one sent before the breaker opened)
  // proves the cluster is reachable as well as a probe does.
  state_ = BreakerState::Closed;
}

void CircuitBreaker::on_failure(clock::time_point now) {
  ++failures_;
  if (state_ == BreakerState::Closed && (failures_ >= threshold_ || probation_)) open(now);
}

// The probe interval starts at its base after a success and doubles with
// every failed probe or probation.
void CircuitBreaker::open(clock::time_point now) {
  state_ = BreakerState::Open;
  ++opened_;
  probation_ = false;
  next_probe_ = now + interval_;
}

bool CircuitBreaker::should_probe(clock::time_point now) {
  if (state_ != BreakerState::Open || now < next_probe_) return false;
  state_ = BreakerState::HalfOpen;
  return true;
}

void CircuitBreaker::on_probe_result(bool healthy, clock::time_point now) {
  if (state_ != BreakerState::HalfOpen) return;
  interval_ = std::min(max_interval_, interval_ * 2);
  if (healthy) {
    state_ = BreakerState::Closed;
    failures_ = 0;
    probation_ = true;
    return;
  }
  state_ = BreakerState::Open;
  next_probe_ = now + interval_;
}

}  // namespace pipec::es
