#include <doctest/doctest.h>

#include "runtime/sinks/elasticsearch/circuit_breaker.h"

using namespace pipec::es;
using ms = std::chrono::milliseconds;
using tp = CircuitBreaker::clock::time_point;

TEST_CASE("es breaker: opens after N consecutive failures, a success resets the count") {
  CircuitBreaker b(3, ms(1000), ms(8000));
  tp t0{};
  CHECK(b.state() == BreakerState::Closed);
  CHECK(b.allow_requests());
  b.on_failure(t0);
  b.on_failure(t0);
  b.on_success();
  CHECK(b.consecutive_failures() == 0);
  b.on_failure(t0);
  b.on_failure(t0);
  CHECK(b.state() == BreakerState::Closed);
  b.on_failure(t0);
  CHECK(b.state() == BreakerState::Open);
  CHECK(b.paused());
  CHECK_FALSE(b.allow_requests());
  CHECK(b.times_opened() == 1);
  CHECK(b.next_probe() == t0 + ms(1000));
}

TEST_CASE("es breaker: half-open probes, backoff between failed probes, closes on success") {
  CircuitBreaker b(1, ms(1000), ms(4000));
  tp t{};
  b.on_failure(t);
  REQUIRE(b.state() == BreakerState::Open);
  CHECK_FALSE(b.should_probe(t + ms(999)));
  CHECK(b.should_probe(t + ms(1000)));
  CHECK(b.state() == BreakerState::HalfOpen);
  CHECK(b.paused());
  CHECK_FALSE(b.should_probe(t + ms(1000)));  // one probe at a time

  t += ms(1000);
  b.on_probe_result(false, t);
  CHECK(b.state() == BreakerState::Open);
  CHECK(b.next_probe() == t + ms(2000));
  CHECK(b.should_probe(t + ms(2000)));
  t += ms(2000);
  b.on_probe_result(false, t);
  CHECK(b.next_probe() == t + ms(4000));
  CHECK(b.should_probe(t + ms(4000)));
  t += ms(4000);
  b.on_probe_result(false, t);
  CHECK(b.next_probe() == t + ms(4000));  // capped

  CHECK(b.should_probe(t + ms(4000)));
  b.on_probe_result(true, t + ms(4000));
  CHECK(b.state() == BreakerState::Closed);
  CHECK_FALSE(b.paused());
  CHECK(b.consecutive_failures() == 0);
  CHECK(b.on_probation());

  // A request succeeds: re-opening starts from the base interval again.
  b.on_success();
  CHECK_FALSE(b.on_probation());
  b.on_failure(t);
  CHECK(b.next_probe() == t + ms(1000));
  CHECK(b.times_opened() == 2);
}

TEST_CASE("es breaker: healthy but refusing writes (a write block): probation, probes ever less often") {
  CircuitBreaker b(3, ms(1000), ms(8000));
  tp t{};
  for (int i = 0; i < 3; ++i) b.on_failure(t);
  REQUIRE(b.state() == BreakerState::Open);
  // Each healthy probe closes it on probation; the first failed request
  // (not three) opens it again, and the next probe waits twice as long.
  ms want[] = {ms(2000), ms(4000), ms(8000), ms(8000)};
  for (ms wait : want) {
    t = b.next_probe();
    REQUIRE(b.should_probe(t));
    b.on_probe_result(true, t);
    CHECK(b.state() == BreakerState::Closed);
    CHECK(b.on_probation());
    b.on_failure(t + ms(10));
    CHECK(b.state() == BreakerState::Open);
    CHECK(b.next_probe() == t + ms(10) + wait);
  }
  // The block is lifted: a success ends probation and resets the interval.
  t = b.next_probe();
  REQUIRE(b.should_probe(t));
  b.on_probe_result(true, t);
  b.on_success();
  CHECK_FALSE(b.on_probation());
  for (int i = 0; i < 2; ++i) b.on_failure(t);
  CHECK(b.state() == BreakerState::Closed);  // back to the threshold of 3
  b.on_failure(t);
  CHECK(b.next_probe() == t + ms(1000));
}

TEST_CASE("es breaker: a late success while open closes it; failures while open do not re-arm") {
  CircuitBreaker b(2, ms(500), ms(500));
  tp t{};
  b.on_failure(t);
  b.on_failure(t);
  REQUIRE(b.state() == BreakerState::Open);
  b.on_failure(t + ms(100));
  CHECK(b.next_probe() == t + ms(500));
  CHECK(b.times_opened() == 1);
  b.on_success();
  CHECK(b.state() == BreakerState::Closed);
  b.on_probe_result(true, t);  // ignored when not half-open
  CHECK(b.state() == BreakerState::Closed);
  CHECK(std::string(breaker_state_name(BreakerState::HalfOpen)) == "half-open");
}
