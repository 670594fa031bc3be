#include "runtime/sinks/elasticsearch/retry_policy.h"

#include <algorithm>
#include <memory>
#include <random>

namespace pipec::es {

RandomSource make_splitmix64(uint64_t seed) {
  auto state = std::make_shared<uint64_t>(seed);
  return [state]() {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
}

RandomSource make_default_random() {
  std::random_device rd;
  return make_splitmix64((static_cast<uint64_t>(rd()) << 32) ^ rd());
}

RetryPolicy::RetryPolicy(int max_attempts, ms initial_backoff, ms max_backoff, RandomSource random)
    : max_attempts_(std::max(1, max_attempts)),
      initial_(std::max(ms(0), initial_backoff)),
      max_(std::max(initial_, max_backoff)),
      random_(random ? std::move(random) : make_default_random()) {}

RetryPolicy::ms RetryPolicy::ceiling(int attempts) const {
  int64_t c = initial_.count();
  for (int i = 1; i < attempts && c < max_.count(); ++i) c *= 2;  // no overflow: stops at the cap
  return ms(std::min<int64_t>(c, max_.count()));
}

RetryPolicy::ms RetryPolicy::backoff(int attempts, ms retry_after) {
  uint64_t top = static_cast<uint64_t>(ceiling(std::max(1, attempts)).count());
  // Uniform in [0, top] without modulo bias worth noticing (top << 2^64).
  uint64_t delay = top == 0 ? 0 : random_() % (top + 1);
  int64_t d = static_cast<int64_t>(delay);
  if (retry_after.count() > d) d = std::min(retry_after.count(), max_.count());
  return ms(d);
}

}  // namespace pipec::es
