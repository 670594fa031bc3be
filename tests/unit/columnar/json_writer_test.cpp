#include <doctest/doctest.h>

#include <cmath>
#include <limits>
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
