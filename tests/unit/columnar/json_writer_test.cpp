#include <doctest/doctest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <limits>
#include <tuple>
#include <vector>
#include <string>

#include "runtime/encode/json_writer.h"
#include "runtime/common/timestamp.h"

using namespace pipec;

namespace {
template <typename F> std::string write(F f) {
  ByteBuffer b;
  f(b);
  return b.str();
}
std::string str(std::string_view s) { return write([&](ByteBuffer& b) { append_json_string(b, s); }); }
std::string dbl(double d) { return write([&](ByteBuffer& b) { append_json_double(b, d); }); }
std::string ts(int64_t ms) { return write([&](ByteBuffer& b) { append_json_timestamp(b, ms); }); }
std::string b64(std::string_view s) { return write([&](ByteBuffer& b) { append_base64(b, s); }); }
}  // namespace

TEST_CASE("byte buffer grows and truncates") {
  ByteBuffer b;
  CHECK(b.empty());
  std::string big(10000, 'x');
  b.append("ab");
  b.append(big);
  b.push_back('c');
  CHECK(b.size() == 10003);
  CHECK(b.view().substr(0, 3) == "abx");
  b.truncate(2);
  CHECK(b.view() == "ab");
  ByteBuffer moved = std::move(b);
  CHECK(moved.view() == "ab");
  CHECK(b.empty());
}

TEST_CASE("JSON string escaping") {
  CHECK(str("") == "\"\"");
  CHECK(str("plain ascii text that is longer than eight bytes") ==
        "\"plain ascii text that is longer than eight bytes\"");
  CHECK(str("a\"b\\c") == R"("a\"b\\c")");
  CHECK(str("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(str(std::string("\x00\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\x7f\"");
  CHECK(str("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80") == "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  // An escape at every position of an 8-byte word, after a clean prefix.
  for (size_t pos = 0; pos < 24; ++pos) {
    std::string s(24, 'a');
    s[pos] = '"';
    std::string expected = "\"" + std::string(pos, 'a') + "\\\"" + std::string(23 - pos, 'a') + "\"";
    CHECK(str(s) == expected);
  }
  // Many escapes force the slow path to grow the buffer.
  CHECK(str(std::string(1000, '\x01')).size() == 6002);
}

TEST_CASE("lossy strings replace invalid UTF-8") {
  auto lossy = [](std::string_view s) {
    return write([&](ByteBuffer& b) { append_json_string_lossy(b, s); });
  };
  CHECK(lossy("ok \xC3\xA9") == "\"ok \xC3\xA9\"");
  CHECK(lossy("a\xFF" "b\"") == "\"a\xEF\xBF\xBD" "b\\\"\"");
  CHECK(lossy("\xC3") == "\"\xEF\xBF\xBD\"");
}

TEST_CASE("numbers and booleans") {
  CHECK(write([](ByteBuffer& b) { append_json_int64(b, 0); }) == "0");
  CHECK(write([](ByteBuffer& b) { append_json_int64(b, INT64_MIN); }) == "-9223372036854775808");
  CHECK(write([](ByteBuffer& b) { append_json_int64(b, INT64_MAX); }) == "9223372036854775807");
  CHECK(write([](ByteBuffer& b) { append_json_bool(b, true); }) == "true");
  CHECK(write([](ByteBuffer& b) { append_json_bool(b, false); }) == "false");
  CHECK(dbl(0.1) == "0.1");
  CHECK(dbl(3.0) == "3.0");
  CHECK(dbl(-0.0) == "-0.0");
  CHECK(dbl(123456789.125) == "123456789.125");
  CHECK(dbl(1e21) == "1e+21");
  CHECK(dbl(1e-7) == "1e-07");
  CHECK(dbl(5e-324) == "5e-324");
  CHECK(dbl(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(dbl(std::nan("")) == "null");
  CHECK(dbl(std::numeric_limits<double>::infinity()) == "null");
  CHECK(dbl(-std::numeric_limits<double>::infinity()) == "null");
  // Shortest round-trip: parsing the text gives the same double back.
  for (double d : {0.1 + 0.2, 1.0 / 3.0, 2.5e-300, 6.02214076e23}) {
    CHECK(std::stod(dbl(d)) == d);
  }
}

namespace {
// What append_json_double wrote before short_decimal: std::to_chars, ".0" on integers.
std::string reference_double(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[64];
  std::string s(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
  return s.find_first_of(".e") == std::string::npos ? s + ".0" : s;
}
}  // namespace

TEST_CASE("doubles are written exactly as std::to_chars writes them") {
  // short_decimal's fast path must not change one byte: short decimals at every
  // scale, their neighbours one ulp away, integers ending in zeros, the edges of
  // the fast path's range (0.001, 2^49), and random bit patterns.
  std::vector<double> values = {0.001, 0.0011, 0.00999, 0.01, 0.1, 0.5, 0.999, 1.0, 1.5, 9.995,
                                100000.0, 120000.0, 1200000.0, 123000000.0, 1e14, 0x1p49, 0x1p49 - 0.5,
                                0x1p49 - 1, 562949953421311.9, 0.1 + 0.2, 1.0 / 3.0, 2.0 / 3.0, 4.35, 0.3};
  std::mt19937_64 rng(20261205);
  for (int i = 0; i < 300000; ++i) {
    // m / 10^k: what prices and measurements look like.
    uint64_t m = rng() % (uint64_t{1} << (1 + rng() % 52));
    int k = static_cast<int>(rng() % 18);
    values.push_back(static_cast<double>(m) / std::pow(10.0, k));
    values.push_back(std::stod(std::to_string(m) + "e-" + std::to_string(k)));
  }
  for (int i = 0; i < 100000; ++i) values.push_back(std::ldexp(static_cast<double>(rng() >> 11), -63 + static_cast<int>(rng() % 120)));
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    values.push_back(d);
  }
  for (double d : {0.001, 0.01, 0.1, 1.0, 10.0, 100000.0, 1e6, 1e12, 0x1p49})
    for (int step = 1; step <= 3; ++step) {
      values.push_back(std::nextafter(d, 0.0));
      values.push_back(std::nextafter(d, 1e300));
      d = values.back();
    }
  const size_t n = values.size();
  for (size_t i = 0; i < n; ++i) {
    values.push_back(-values[i]);
    values.push_back(std::nextafter(values[i], 0.0));
    values.push_back(std::nextafter(values[i], 1e300));
  }
  size_t mismatches = 0;
  for (double d : values) {
    std::string got = dbl(d), expected = reference_double(d);
    if (got != expected && ++mismatches <= 10) CHECK_MESSAGE(got == expected, "bits of the double: ", std::bit_cast<uint64_t>(d));
  }
  CHECK(mismatches == 0);
}

TEST_CASE("timestamps render as ISO-8601 UTC with milliseconds") {
  CHECK(ts(0) == "\"1970-01-01T00:00:00.000Z\"");
  CHECK(ts(1704164645678) == "\"2024-01-02T03:04:05.678Z\"");
  CHECK(ts(-1) == "\"1969-12-31T23:59:59.999Z\"");
  CHECK(ts(951825600000) == "\"2000-02-29T12:00:00.000Z\"");
  CHECK(ts(-62135596800000) == "\"0001-01-01T00:00:00.000Z\"");
  CHECK(ts(253402300800000) == "\"+10000-01-01T00:00:00.000Z\"");
  CHECK(ts(-62167219200001) == "\"-0001-12-31T23:59:59.999Z\"");
  // Round trip through the parser across a range of instants.
  for (int64_t ms = -5'000'000'000'000; ms < 5'000'000'000'000; ms += 77'777'777'777) {
    char buf[kMaxIso8601Length];
    size_t n = format_iso8601_millis(ms, buf);
    int64_t back = 0;
    std::string_view why;
    REQUIRE(parse_iso8601_millis(std::string_view(buf, n), &back, &why));
    CHECK(back == ms);
  }
}

TEST_CASE("column values by logical type") {
  Vector i(PhysicalType::Int64, 4), s(PhysicalType::String, 4), d(PhysicalType::Float64, 4),
      b(PhysicalType::Bool, 4);
  i.data<int64_t>()[0] = 1500;
  i.set_valid(0, true);
  s.data<StringRef>()[0] = StringRef::of("[1,{\"a\":2}]");
  s.set_valid(0, true);
  d.data<double>()[0] = 2.0;
  d.set_valid(0, true);
  b.data<uint8_t>()[0] = 1;
  b.set_valid(0, true);
  auto val = [](const Vector& v, uint32_t row, TypeId t, bool raw = false) {
    return write([&](ByteBuffer& out) { append_json_value(out, v, row, t, raw); });
  };
  CHECK(val(i, 0, TypeId::BigInt) == "1500");
  CHECK(val(i, 0, TypeId::Interval) == "1500");
  CHECK(val(i, 0, TypeId::Timestamp) == "\"1970-01-01T00:00:01.500Z\"");
  CHECK(val(i, 1, TypeId::BigInt) == "null");
  CHECK(val(s, 0, TypeId::Array) == "[1,{\"a\":2}]");
  CHECK(val(s, 0, TypeId::String) == R"("[1,{\"a\":2}]")");
  CHECK(val(s, 0, TypeId::String, true) == "[1,{\"a\":2}]");
  CHECK(val(s, 3, TypeId::Row) == "null");
  CHECK(val(d, 0, TypeId::Double) == "2.0");
  CHECK(val(b, 0, TypeId::Boolean) == "true");
}

TEST_CASE("base64 follows RFC 4648 test vectors") {
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg==");
  CHECK(b64("fooba") == "Zm9vYmE=");
  CHECK(b64("foobar") == "Zm9vYmFy");
  CHECK(b64(std::string_view("\xFF\xFE\x00", 3)) == "//4A");
}

TEST_CASE("the day-caching timestamp formatter writes what format_iso8601_millis writes") {
  // Consecutive timestamps within a day, across midnight, before 1970, and
  // outside years 0..9999, in an order that makes the cached day go stale.
  std::vector<int64_t> stamps = {0, 1, 86'399'999, 86'400'000, 86'400'001, -1, -86'400'000, -86'400'001,
                                 1'704'067'199'999, 1'704'067'200'000, 1'704'067'200'000 + 3'723'456,
                                 253'402'300'799'999, 253'402'300'800'000, -62'167'219'200'000,
                                 -62'167'219'200'001, std::numeric_limits<int64_t>::max(),
                                 std::numeric_limits<int64_t>::min(), 5};
  for (int64_t ms = -3'000'000'000'000; ms < 3'000'000'000'000; ms += 7'777'777'777) stamps.push_back(ms);
  Iso8601Formatter formatter;
  for (int64_t ms : stamps) {
    char expected[kMaxIso8601Length], got[kMaxIso8601Length];
    size_t n = format_iso8601_millis(ms, expected);
    REQUIRE(n <= kMaxIso8601Length);
    CHECK(std::string_view(got, formatter.format(ms, got)) == std::string_view(expected, n));
  }
}

TEST_CASE("ISO-8601 text agrees with civil_from_millis at every second of a day and far from 1970") {
  // The time of day is written from a digit-pair table; check every second
  // (with changing milliseconds) of a day after 1970 and one before, against
  // the civil fields printed one by one.
  std::vector<int64_t> stamps;
  for (int64_t day : {int64_t{19723}, int64_t{-25567}})
    for (int64_t second = 0; second < 86'400; ++second)
      stamps.push_back(day * kMillisPerDay + second * 1000 + (second * 7919) % 1000);
  for (int64_t ms : {int64_t{-1}, int64_t{0}, int64_t{999}, int64_t{86'399'999}, int64_t{253'402'300'799'999}})
    stamps.push_back(ms);
  Iso8601Formatter formatter;
  for (int64_t ms : stamps) {
    CivilTime t = civil_from_millis(ms);
    char expected[64];
    std::snprintf(expected, sizeof expected, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<long long>(t.year),
                  t.month, t.day, t.hour, t.minute, t.second, t.millis);
    char got[kMaxIso8601Length];
    REQUIRE(std::string_view(got, format_iso8601_millis(ms, got)) == expected);
    REQUIRE(std::string_view(got, formatter.format(ms, got)) == expected);
  }
}

namespace {
// The escaping rules of append_json_string, one byte at a time.
std::string reference_json_string(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += std::string("\\u00") + kHex[c >> 4] + kHex[c & 15];
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}
}  // namespace

TEST_CASE("column writers stay within max_bytes and escape at every position of a word") {
  // Strings of every length 0..40 with one byte needing an escape at every
  // position (so the 8-byte word loop meets it at each offset), and the worst
  // case (all control bytes) that max_bytes must cover.
  std::vector<std::string> texts;
  for (size_t n = 0; n <= 40; ++n) {
    texts.push_back(std::string(n, 'a'));
    for (size_t at = 0; at < n; ++at)
      for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string t(n, 'b');
        t[at] = special;
        texts.push_back(t);
      }
    texts.push_back(std::string(n, '\x01'));
  }
  Vector column(PhysicalType::String, static_cast<uint32_t>(texts.size() + 63) / 64 * 64);
  for (uint32_t r = 0; r < texts.size(); ++r) {
    column.data<StringRef>()[r] = StringRef::of(texts[r]);
    column.set_valid(r, true);
  }
  for (bool raw : {false, true}) {
    JsonColumnWriter writer(TypeId::String, raw);
    REQUIRE(writer.has_text());
    for (uint32_t r = 0; r < texts.size(); ++r) {
      std::string buf(writer.max_bytes(column, r), '\0');
      REQUIRE(writer.max_bytes(column, r) == writer.fixed_bytes() + writer.text_bytes(column, r));
      size_t n = static_cast<size_t>(writer.write(column, r, buf.data()) - buf.data());
      REQUIRE(n <= buf.size());
      CHECK(buf.substr(0, n) == (raw ? texts[r] : reference_json_string(texts[r])));
    }
  }
  // Fixed-width kinds: the longest values fit their bound.
  Vector ints(PhysicalType::Int64, 64), doubles(PhysicalType::Float64, 64);
  ints.data<int64_t>()[0] = std::numeric_limits<int64_t>::min();
  ints.set_valid(0, true);
  doubles.data<double>()[0] = -2.2250738585072014e-308;
  doubles.set_valid(0, true);
  for (auto [vector, type, expected] :
       {std::tuple{&ints, TypeId::BigInt, "-9223372036854775808"},
        std::tuple{&ints, TypeId::Timestamp, "\"-292275055-05-16T16:47:04.192Z\""},
        std::tuple{&doubles, TypeId::Double, "-2.2250738585072014e-308"}}) {
    JsonColumnWriter writer(type, false);
    std::string buf(writer.max_bytes(*vector, 0), '\0');
    size_t n = static_cast<size_t>(writer.write(*vector, 0, buf.data()) - buf.data());
    CHECK(buf.substr(0, n) == expected);
  }
}
