#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "runtime/sinks/elasticsearch/retry_policy.h"

using namespace pipec::es;
using ms = std::chrono::milliseconds;

TEST_CASE("es retry: attempts are capped") {
  RetryPolicy p(3, ms(100), ms(30000), make_splitmix64(1));
  CHECK(p.can_retry(0));
  CHECK(p.can_retry(2));
  CHECK_FALSE(p.can_retry(3));
  CHECK_FALSE(p.can_retry(100));
  RetryPolicy one(0, ms(100), ms(1000), make_splitmix64(1));  // at least one attempt
  CHECK(one.can_retry(0));
  CHECK_FALSE(one.can_retry(1));
}

TEST_CASE("es retry: the jitter window doubles up to the cap") {
  RetryPolicy p(100, ms(100), ms(30000), make_splitmix64(1));
  CHECK(p.ceiling(1) == ms(100));
  CHECK(p.ceiling(2) == ms(200));
  CHECK(p.ceiling(5) == ms(1600));
  CHECK(p.ceiling(9) == ms(25600));
  CHECK(p.ceiling(10) == ms(30000));
  CHECK(p.ceiling(64) == ms(30000));  // no overflow
  CHECK(p.ceiling(10000) == ms(30000));
  for (int a = 1; a < 40; ++a)
    for (int k = 0; k < 200; ++k) {
      ms d = p.backoff(a);
      CHECK(d >= ms(0));
      CHECK(d <= p.ceiling(a));
    }
}

TEST_CASE("es retry: deterministic with a seeded source") {
  RetryPolicy a(8, ms(100), ms(30000), make_splitmix64(42));
  RetryPolicy b(8, ms(100), ms(30000), make_splitmix64(42));
  RetryPolicy c(8, ms(100), ms(30000), make_splitmix64(43));
  int same_as_c = 0;
  for (int i = 1; i < 50; ++i) {
    ms x = a.backoff(1 + i % 9), y = b.backoff(1 + i % 9), z = c.backoff(1 + i % 9);
    CHECK(x == y);
    same_as_c += x == z;
  }
  CHECK(same_as_c < 10);
}

TEST_CASE("es retry: full jitter is uniform over [0, ceiling]") {
  RetryPolicy p(100, ms(1000), ms(1000), make_splitmix64(2024));
  constexpr int kN = 20000;
  std::array<int, 10> buckets{};
  double sum = 0;
  int64_t lo = 1000, hi = 0;
  for (int i = 0; i < kN; ++i) {
    int64_t d = p.backoff(5).count();  // ceiling 1000
    sum += static_cast<double>(d);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    buckets[static_cast<size_t>(std::min<int64_t>(d / 100, 9))]++;
  }
  CHECK(std::abs(sum / kN - 500.0) < 15.0);  // mean of U[0,1000] is 500 (sd of the mean ~2)
  CHECK(lo < 10);                            // full jitter reaches near zero
  CHECK(hi > 990);
  double chi2 = 0;
  for (int b : buckets) chi2 += (b - kN / 10.0) * (b - kN / 10.0) / (kN / 10.0);
  CHECK(chi2 < 27.9);  // 9 degrees of freedom, p = 0.001
}

TEST_CASE("es retry: Retry-After is a floor, capped by max backoff") {
  RetryPolicy p(8, ms(10), ms(5000), make_splitmix64(3));
  for (int i = 0; i < 100; ++i) CHECK(p.backoff(1, ms(2000)) == ms(2000));  // window [0,10]
  CHECK(p.backoff(1, ms(60000)) == ms(5000));
  RetryPolicy zero(8, ms(0), ms(0), make_splitmix64(3));
  CHECK(zero.backoff(7) == ms(0));
}
