#include <doctest/doctest.h>

#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

TEST_CASE("mask keeps the last 4 code points") {
  CHECK(str("mask", {S("4111111111111111")}) == "************1111");
  CHECK(str("mask", {S("12345")}) == "*2345");
  // Values no longer than the kept part are masked entirely.
  CHECK(str("mask", {S("1234")}) == "****");
  CHECK(str("mask", {S("ab")}) == "**");
  CHECK(str("mask", {S("")}) == "");
  // Code points, not bytes: each masked code point becomes one '*'.
  CHECK(str("mask", {S("J\xC3\xBCrgen M\xC3\xBCller")}) == "*********ller");
  CHECK(str("mask", {S("\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96")}) ==
        "*\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96\xE4\xB8\x96");
  CHECK(str("mask", {N(TypeId::String)}) == "<NULL>");
}

TEST_CASE("mask(s, keep_last, mask_char)") {
  CHECK(str("mask", {S("secret-token"), I(2), S("#")}) == "##########en");
  CHECK(str("mask", {S("secret"), I(0), S("x")}) == "xxxxxx");
  CHECK(str("mask", {S("abc"), I(3), S("*")}) == "***");    // everything would be kept: mask all
  CHECK(str("mask", {S("abc"), I(100), S("*")}) == "***");
  CHECK(str("mask", {S("abcd"), I(1), S("\xE2\x80\xA2")}) == "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2" "d");  // •
  CHECK(str("mask", {S("abc"), I(-1), S("*")}) == "<NULL>");
  CHECK(str("mask", {S("abc"), I(1), S("")}) == "<NULL>");
  CHECK(str("mask", {S("abc"), I(1), S("**")}) == "<NULL>");  // one code point only
  CHECK(str("mask", {S("abc"), I(INT64_MAX), S("*")}) == "***");
  CHECK(str("mask", {S("abc"), N(TypeId::BigInt), S("*")}) == "<NULL>");
}

TEST_CASE("redact / redact_email") {
  CHECK(str("redact", {S("anything")}) == "[REDACTED]");
  CHECK(str("redact", {S("")}) == "[REDACTED]");
  CHECK(str("redact", {N(TypeId::String)}) == "<NULL>");
  CHECK(str("redact_email", {S("jane.doe@example.com")}) == "[REDACTED]@example.com");
  CHECK(str("redact_email", {S("a@b@example.org")}) == "[REDACTED]@example.org");  // the last '@' counts
  CHECK(str("redact_email", {S("j\xC3\xBCrgen@m\xC3\xBCller.de")}) == "[REDACTED]@m\xC3\xBCller.de");
  // Not an address: everything is redacted.
  CHECK(str("redact_email", {S("no-at-sign")}) == "[REDACTED]");
  CHECK(str("redact_email", {S("@example.com")}) == "[REDACTED]");
  CHECK(str("redact_email", {S("jane@")}) == "[REDACTED]");
  CHECK(str("redact_email", {S("")}) == "[REDACTED]");
  CHECK(str("redact_email", {N(TypeId::String)}) == "<NULL>");
}

TEST_CASE("hash_pii is HMAC-SHA256 (RFC 4231 vectors)") {
  CHECK(str("hash_pii", {S("what do ya want for nothing?"), S("Jefe")}) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");  // test case 2
  CHECK(str("hash_pii", {S("Hi There"), S(std::string(20, '\x0b'))}) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");  // test case 1
  CHECK(str("hash_pii", {S("Test Using Larger Than Block-Size Key - Hash Key First"), S(std::string(131, '\xaa'))}) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");  // test case 6
  CHECK(str("hash_pii", {S(""), S("k")}) == "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620");
  // Keys at and just over the SHA-256 block size (64 bytes; longer keys are hashed first).
  CHECK(str("hash_pii", {S("v"), S(std::string(64, 'k'))}) ==
        "1d4758a03df4b4714ec6f8abf9f9b94c441f81ef8c0df2298d8da4e210adeff3");
  CHECK(str("hash_pii", {S("v"), S(std::string(65, 'k'))}) ==
        "94fba6e01b7bbedac668549ffc357cd7c1eadf340bf7e29bc50ea2fc10091b49");
  CHECK(str("hash_pii", {S("x"), S("")}) == "<NULL>");  // refuses an empty key
  CHECK(str("hash_pii", {S("x"), S("k1")}) != str("hash_pii", {S("x"), S("k2")}));
  CHECK(str("hash_pii", {N(TypeId::String), S("k")}) == "<NULL>");
  CHECK(str("hash_pii", {S("x"), N(TypeId::String)}) == "<NULL>");
}

TEST_CASE("hash_pii: many keys in one context, and alternating keys") {
  TestContext t;
  auto h = [&](std::string v, std::string k) { return call("hash_pii", {S(v), S(k)}, &t.ctx).s; };
  const std::string jefe = h("what do ya want for nothing?", "Jefe");
  for (int i = 0; i < 600; ++i) h("v", "key-" + std::to_string(i));  // beyond the per-context key cache
  CHECK(h("what do ya want for nothing?", "Jefe") == jefe);
  CHECK(h("what do ya want for nothing?", "Jefe") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(h("a", "k1") != h("a", "k2"));
  CHECK(h("a", "k1") == h("a", "k1"));
}
