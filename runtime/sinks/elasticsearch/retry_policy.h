// How long to wait before the next attempt, and whether there is one:
// exponential backoff with FULL jitter (the delay before attempt n+1 is
// uniform in [0, min(max_backoff, initial_backoff * 2^(n-1))]), which spreads
// the retries of many clients instead of synchronising them. A server's
// Retry-After is honoured as a lower bound (still capped by max_backoff).
//
// The random source is injected so tests are deterministic. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace pipec::es {

// Uniform 64-bit values.
using RandomSource = std::function<uint64_t()>;
// splitmix64: a small, fast, well-mixed generator for jitter.
RandomSource make_splitmix64(uint64_t seed);
// Seeded from std::random_device.
RandomSource make_default_random();

class RetryPolicy {
 public:
  using ms = std::chrono::milliseconds;
  RetryPolicy(int max_attempts, ms initial_backoff, ms max_backoff, RandomSource random = make_default_random());

  // A document that has been attempted `attempts` times may be tried again.
  bool can_retry(int attempts) const { return attempts < max_attempts_; }
  int max_attempts() const { return max_attempts_; }

  // The ceiling of the jitter window after `attempts` failed attempts (>= 1):
  // min(max_backoff, initial_backoff * 2^(attempts-1)).
  ms ceiling(int attempts) const;
  // A delay uniform in [0, ceiling(attempts)], at least retry_after (capped by max_backoff).
  ms backoff(int attempts, ms retry_after = ms(0));

 private:
  int max_attempts_;
  ms initial_;
  ms max_;
  RandomSource random_;
};

}  // namespace pipec::es
