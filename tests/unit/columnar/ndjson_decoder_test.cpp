#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/decode/ndjson_decoder.h"
#include "runtime/common/timestamp.h"

using namespace pipec;

namespace {

DecodeField col(std::vector<std::string> path, TypePtr type, bool not_null = false,
                 bool raw = false) {
  return DecodeField{std::move(path), std::move(type), not_null, raw};
}

// Decodes `text` as one chunk of a file with id 3 starting at line 1.
struct Decoded {
  Batch batch;
  DecodeErrors errors;
  DecodeStats stats;
  std::shared_ptr<InputChunk> chunk;

  int64_t i64(uint32_t c, uint32_t r) const { return batch.columns[c].data<int64_t>()[r]; }
  double f64(uint32_t c, uint32_t r) const { return batch.columns[c].data<double>()[r]; }
  bool b(uint32_t c, uint32_t r) const { return batch.columns[c].data<uint8_t>()[r] != 0; }
  std::string str(uint32_t c, uint32_t r) const {
    return std::string(batch.columns[c].data<StringRef>()[r].view());
  }
  bool valid(uint32_t c, uint32_t r) const { return batch.columns[c].is_valid(r); }
  std::string reason(size_t i = 0) const {
    return i < errors.errors.size() ? errors.errors[i].reason : "<no error>";
  }
};

Decoded decode(std::vector<DecodeField> cols, std::string_view text, DecodeOptions opt = {}) {
  NdjsonDecoder decoder(DecodeSpec{std::move(cols)}, opt);
  Decoded d{decoder.make_batch(), {}, {}, InputChunk::copy_of(text, 3, 1)};
  CHECK(decoder.decode(d.chunk, d.batch, d.errors));
  d.stats = decoder.stats();
  return d;
}

// The reason a single record fails with for a single column.
std::string reason_for(DecodeField c, std::string_view record, DecodeOptions opt = {}) {
  Decoded d = decode({std::move(c)}, record, opt);
  CHECK(d.batch.size == 0);
  return d.reason();
}

DecodeErrorKind kind_for(DecodeField c, std::string_view record, DecodeOptions opt = {}) {
  Decoded d = decode({std::move(c)}, record, opt);
  REQUIRE(d.errors.errors.size() == 1);
  CHECK(d.errors.total() == 1);
  CHECK(d.errors.count(d.errors.errors[0].kind) == 1);
  return d.errors.errors[0].kind;
}

}  // namespace

TEST_CASE("decodes the spec's columns and leaves the rest") {
  auto d = decode({col({"id"}, Type::bigint()), col({"amount"}, Type::float64()),
                   col({"ok"}, Type::boolean()), col({"name"}, Type::string()),
                   col({"ts"}, Type::timestamp()), col({"wait"}, Type::interval())},
                  R"({"id":7,"skip":{"deep":[1,2,{"x":null}]},"amount":12.5,"ok":true,"name":"ab","ts":"2024-01-02T03:04:05.678Z","wait":1500})"
                  "\n");
  REQUIRE(d.batch.size == 1);
  CHECK(d.errors.total() == 0);
  CHECK(d.i64(0, 0) == 7);
  CHECK(d.f64(1, 0) == 12.5);
  CHECK(d.b(2, 0));
  CHECK(d.str(3, 0) == "ab");
  CHECK(d.i64(4, 0) == 1704164645678);
  CHECK(d.i64(5, 0) == 1500);
  for (uint32_t c = 0; c < 6; ++c) CHECK(d.valid(c, 0));
  CHECK(d.batch.raw[0].view().substr(0, 8) == R"({"id":7,)");
  CHECK(d.batch.positions[0] == SourcePosition{3, -1, 1});
  CHECK(d.batch.row_status[0] == 0);
  CHECK(d.stats.records == 1);
  CHECK(d.stats.rows == 1);
}

TEST_CASE("JSON null and missing fields are NULL with zeroed slots") {
  auto d = decode({col({"a"}, Type::bigint()), col({"b"}, Type::string()),
                   col({"c"}, Type::float64())},
                  "{\"a\":null,\"c\":null}\n{\"a\":1,\"b\":\"x\",\"c\":2}\n{}\n");
  REQUIRE(d.batch.size == 3);
  CHECK_FALSE(d.valid(0, 0));
  CHECK_FALSE(d.valid(1, 0));
  CHECK_FALSE(d.valid(2, 0));
  CHECK(d.valid(0, 1));
  CHECK(d.valid(1, 1));
  CHECK_FALSE(d.valid(0, 2));
  CHECK(d.i64(0, 2) == 0);
  CHECK(d.str(1, 2).empty());
  CHECK(d.batch.columns[1].data<StringRef>()[2].data != nullptr);
}

TEST_CASE("BIGINT conversions") {
  auto d = decode({col({"v"}, Type::bigint())},
                  "{\"v\":0}\n{\"v\":-0}\n{\"v\":9223372036854775807}\n"
                  "{\"v\":-9223372036854775808}\n{\"v\":1.0}\n{\"v\":1e3}\n{\"v\":-2.5E1}\n"
                  "{\"v\":9007199254740994.0}\n{\"v\":9007199254740992.0}\n");
  REQUIRE(d.batch.size == 8);
  CHECK(d.errors.total() == 1);
  CHECK(d.i64(0, 0) == 0);
  CHECK(d.i64(0, 1) == 0);
  CHECK(d.i64(0, 2) == INT64_MAX);
  CHECK(d.i64(0, 3) == INT64_MIN);
  CHECK(d.i64(0, 4) == 1);
  CHECK(d.i64(0, 5) == 1000);
  CHECK(d.i64(0, 6) == -25);
  CHECK(d.i64(0, 7) == 9007199254740992);
  // Integral float literals are taken only while a double holds them exactly.
  CHECK(d.reason() == "field 'v': number 9007199254740994.0 is out of range for BIGINT");
}

TEST_CASE("BIGINT rejections name the field, type and value") {
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":1.5})") ==
        "field 'qty': expected BIGINT, got number 1.5");
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":"12"})") ==
        "field 'qty': expected BIGINT, got string \"12\"");
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":true})") ==
        "field 'qty': expected BIGINT, got boolean true");
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":[1]})") ==
        "field 'qty': expected BIGINT, got array");
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":{"a":1}})") ==
        "field 'qty': expected BIGINT, got object");
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":9223372036854775808})") ==
        "field 'qty': number 9223372036854775808 is out of range for BIGINT");
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":-9223372036854775809})") ==
        "field 'qty': number -9223372036854775809 is out of range for BIGINT");
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":123456789012345678901234567890})") ==
        "field 'qty': number 123456789012345678901234567890 is out of range for BIGINT");
  CHECK(reason_for(col({"qty"}, Type::bigint()), R"({"qty":1e19})") ==
        "field 'qty': number 1e19 is out of range for BIGINT");
  CHECK(kind_for(col({"qty"}, Type::bigint()), R"({"qty":99999999999999999999})") ==
        DecodeErrorKind::Overflow);
  CHECK(kind_for(col({"qty"}, Type::bigint()), R"({"qty":"1"})") == DecodeErrorKind::TypeMismatch);
}

TEST_CASE("DOUBLE accepts any JSON number") {
  auto d = decode({col({"x"}, Type::float64())},
                  "{\"x\":1}\n{\"x\":-0.5}\n{\"x\":1e300}\n{\"x\":123456789012345678901234567890}\n"
                  "{\"x\":2.2250738585072014e-308}\n{\"x\":0.1}\n");
  REQUIRE(d.batch.size == 6);
  CHECK(d.f64(0, 0) == 1.0);
  CHECK(d.f64(0, 1) == -0.5);
  CHECK(d.f64(0, 2) == 1e300);
  CHECK(d.f64(0, 3) == 1.2345678901234568e29);
  CHECK(d.f64(0, 4) == 2.2250738585072014e-308);
  CHECK(d.f64(0, 5) == 0.1);
  CHECK(reason_for(col({"amount"}, Type::float64()), R"({"amount":"abc"})") ==
        "field 'amount': expected DOUBLE, got string \"abc\"");
  CHECK(reason_for(col({"amount"}, Type::float64()), R"({"amount":1e400})") ==
        "field 'amount': number 1e400 is out of range for DOUBLE");
  CHECK(reason_for(col({"amount"}, Type::float64()), R"({"amount":false})") ==
        "field 'amount': expected DOUBLE, got boolean false");
  // Malformed numbers are malformed JSON, not out of range.
  for (const char* bad : {"01", "-", "-01.5", "1.", "1.e3", "1e", "1.5e+", "1.5.2", "1e5e5", "2-1",
                          "0x10", "1_000"}) {
    CAPTURE(bad);
    CHECK(reason_for(col({"x"}, Type::float64()), std::string("{\"x\":") + bad + "}") ==
          "malformed JSON at byte 5: invalid number");
  }
}

TEST_CASE("numbers are checked whole at every length, read or skipped") {
  auto a = col({"a"}, Type::bigint());
  for (int n = 1; n <= 18; ++n) {  // runs of digits are scanned 8 bytes at a time
    std::string digits;
    for (int i = 0; i < n; ++i) digits += static_cast<char>('1' + i % 9);
    CAPTURE(digits);
    auto d = decode({a}, "{\"a\":" + digits + ",\"s\":[" + digits + "," + digits + "." + digits +
                             "e-" + digits + ",-0." + digits + "E+1]}\n");
    REQUIRE(d.batch.size == 1);
    CHECK(d.i64(0, 0) == std::stoll(digits));
    for (const std::string& bad : {"0" + digits, digits + "x", digits + ".", digits + "e",
                                   "-" + digits + ".5e+", digits + ".5.5"}) {
      CAPTURE(bad);
      CHECK(reason_for(a, "{\"a\":" + bad + "}") == "malformed JSON at byte 5: invalid number");
      CHECK(reason_for(a, "{\"a\":1,\"s\":[" + bad + "]}") ==
            "malformed JSON at byte 12: invalid number");
    }
  }
}

TEST_CASE("skipped numbers of up to 8 bytes: digits and one '.' checked in one load") {
  auto a = col({"a"}, Type::bigint());
  for (std::string good : {"0", "7", "12345678", "0.5", "0.000001", "144.58", "1234567.8", "9.9",
                           "10", "100.01"}) {
    CAPTURE(good);
    auto d = decode({a}, "{\"a\":1,\"n\":" + good + ",\"s\":[" + good + "," + good +
                             "],\"o\":{\"x\":" + good + "}}\n");
    CHECK(d.batch.size == 1);
  }
  for (std::string bad : {"00", "01", "00.5", "01.5", "1.", "12345.", "1.2.3", "1..2",
                          "1.5x", "12a", "1.a", "1234567.", "0123456"}) {
    CAPTURE(bad);
    CHECK(reason_for(a, "{\"a\":1,\"n\":" + bad + "}") == "malformed JSON at byte 11: invalid number");
    CHECK(reason_for(a, "{\"a\":1,\"s\":[" + bad + "]}") ==
          "malformed JSON at byte 12: invalid number");
  }
  CHECK(reason_for(a, R"({"a":1,"n":.5})") == "malformed JSON at byte 11: unexpected '.'");
  // Blanks after a number are not part of it.
  CHECK(decode({a}, "{\"a\":1,\"n\":144.58 ,\"s\":[7 , 0.5\t]}\n").batch.size == 1);
}

TEST_CASE("BOOLEAN and STRING are strict about JSON kinds") {
  auto d = decode({col({"b"}, Type::boolean())}, "{\"b\":true}\n{\"b\":false}\n");
  REQUIRE(d.batch.size == 2);
  CHECK(d.b(0, 0));
  CHECK_FALSE(d.b(0, 1));
  CHECK(d.valid(0, 1));
  CHECK(reason_for(col({"b"}, Type::boolean()), R"({"b":1})") ==
        "field 'b': expected BOOLEAN, got number 1");
  CHECK(reason_for(col({"b"}, Type::boolean()), R"({"b":"true"})") ==
        "field 'b': expected BOOLEAN, got string \"true\"");
  CHECK(reason_for(col({"s"}, Type::string()), R"({"s":12})") ==
        "field 's': expected STRING, got number 12");
  CHECK(reason_for(col({"s"}, Type::string()), R"({"s":{"a":"b"}})") ==
        "field 's': expected STRING, got object");
  // Long values are clipped in reasons.
  std::string long_value(100, 'z');
  CHECK(reason_for(col({"n"}, Type::bigint()), "{\"n\":\"" + long_value + "\"}") ==
        "field 'n': expected BIGINT, got string \"" + std::string(40, 'z') + "...\"");
}

TEST_CASE("strings: the value ends at its closing quote whatever follows it") {
  auto d = decode({col({"s"}, Type::string()), col({"t"}, Type::string()), col({"ts"}, Type::timestamp())},
                  "{\"s\" : \"a \\\" b\" \t, \"u\": \"x\\\"\" , \"t\":\"\" }\r\n"
                  "{\"t\":\"c\"  ,\"s\":\"}\" ,\"ts\": \"2024-01-02T03:04:05Z\" }\n"
                  "{\"s\":\"a\"x}\n");
  REQUIRE(d.batch.size == 2);
  CHECK(d.str(0, 0) == "a \" b");
  CHECK(d.str(1, 0) == "");
  CHECK(d.str(0, 1) == "}");
  CHECK(d.str(1, 1) == "c");
  CHECK(d.i64(2, 1) == 1704164645000);
  CHECK(d.errors.errors.size() == 1);
  CHECK(d.errors.errors[0].kind == DecodeErrorKind::MalformedJson);
}

TEST_CASE("strings: escapes, unicode and zero-copy") {
  auto d = decode({col({"s"}, Type::string())},
                  R"({"s":"plain"})"
                  "\n"
                  R"({"s":"tab\there \"q\" back\\slash \/ \u00e9\u20ac \ud83d\ude00"})"
                  "\n"
                  "{\"s\":\"h\xC3\xA9llo \xE2\x82\xAC\"}\n"
                  R"({"s":""})"
                  "\n");
  REQUIRE(d.batch.size == 4);
  CHECK(d.str(0, 0) == "plain");
  // An escape-free string points straight into the input chunk.
  const char* p = d.batch.columns[0].data<StringRef>()[0].data;
  CHECK(p >= d.chunk->data());
  CHECK(p < d.chunk->data() + d.chunk->size());
  CHECK(d.str(0, 1) == "tab\there \"q\" back\\slash / \xC3\xA9\xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(d.str(0, 2) == "h\xC3\xA9llo \xE2\x82\xAC");
  CHECK(d.str(0, 3).empty());
  CHECK(d.valid(0, 3));

  CHECK(reason_for(col({"s"}, Type::string()), R"({"s":"bad \ud800 surrogate"})") ==
        "malformed JSON at byte 5: invalid escape sequence in string");
  CHECK(reason_for(col({"s"}, Type::string()), R"({"s":"bad \x escape"})") ==
        "malformed JSON at byte 5: invalid escape sequence in string");
  CHECK(reason_for(col({"s"}, Type::string()), "{\"s\":\"tab\there\"}") ==
        "malformed JSON at byte 9: unescaped control character in string");
}

TEST_CASE("keys with escapes match their unescaped form") {
  auto d = decode({col({"a\"b"}, Type::bigint()), col({"\xC3\xA9"}, Type::bigint())},
                  R"({"a\"b":1,"\u00e9":2})"
                  "\n");
  REQUIRE(d.batch.size == 1);
  CHECK(d.i64(0, 0) == 1);
  CHECK(d.i64(1, 0) == 2);
}

TEST_CASE("keys match whole, at every length, and no other key matches them") {
  // Same length and first bytes, differing at byte 0, 7, 8, 15, 16 and last;
  // prefixes and extensions of a spec key; a spec key with a backslash.
  std::vector<std::string> keys = {"k",
                                   "abcdefgh",
                                   "abcdefgX",
                                   "abcdefghijklmnop",
                                   "abcdefghijklmnoX",
                                   "abcdefghijklmnopqrstu",
                                   "abcdefghijklmnopXrstu",
                                   "abcdefghijklmnopqrstX",
                                   "back\\slash"};
  std::vector<DecodeField> cols;
  std::string record = "{";
  for (size_t i = 0; i < keys.size(); ++i) {
    cols.push_back(col({keys[i]}, Type::bigint()));
    std::string escaped = keys[i] == "back\\slash" ? "back\\\\slash" : keys[i];
    record += "\"" + escaped + "\":" + std::to_string(i + 1) + ",";
  }
  // Near misses, each with a value no column may take.
  for (const char* other : {"", "K", "kk", "abcdefg", "abcdefghi", "Xbcdefgh", "abcdefghijklmno",
                            "abcdefghijklmnopq", "abcdefghijklmnopqrst", "abcdefghijklmnopqrstuv",
                            "backslash", "back\\\\slas"})
    record += "\"" + std::string(other) + "\":\"no\",";
  record += "\"\\u0061bcdefgh\":1}\n";  // an escaped spelling of "abcdefgh": the last one wins
  auto d = decode(cols, record);
  REQUIRE(d.batch.size == 1);
  CHECK(d.i64(0, 0) == 1);
  CHECK(d.i64(1, 0) == 1);
  for (uint32_t i = 2; i < keys.size(); ++i) CHECK(d.i64(i, 0) == i + 1);
}

TEST_CASE("keys are found with blanks around the colon") {
  auto d = decode({col({"a"}, Type::bigint()), col({"bb"}, Type::string()), col({"o", "c"}, Type::bigint())},
                  "{ \"a\" : 1 ,\t\"zz\"\t:\t[ 1 , 2 ] , \"bb\"\r:\r\"x\" , \"o\" : { \"c\"  :  3 } }\n");
  REQUIRE(d.batch.size == 1);
  CHECK(d.i64(0, 0) == 1);
  CHECK(d.str(1, 0) == "x");
  CHECK(d.i64(2, 0) == 3);
}

TEST_CASE("TIMESTAMP from epoch millis and ISO-8601 strings") {
  struct Case {
    const char* json;
    int64_t millis;
  };
  const Case cases[] = {
      {"0", 0},
      {"1704164645678", 1704164645678},
      {"-1", -1},
      {"\"1970-01-01T00:00:00Z\"", 0},
      {"\"2024-01-02T03:04:05Z\"", 1704164645000},
      {"\"2024-01-02T03:04:05.678Z\"", 1704164645678},
      {"\"2024-01-02T03:04:05.6Z\"", 1704164645600},
      {"\"2024-01-02T03:04:05.678912345Z\"", 1704164645678},  // truncated to millis
      {"\"2024-01-02T03:04:05,5Z\"", 1704164645500},
      {"\"2024-01-02T05:04:05+02:00\"", 1704164645000},
      {"\"2024-01-01T22:04:05-05:00\"", 1704164645000},
      {"\"2024-01-02T08:34:05+0530\"", 1704164645000},
      {"\"2024-01-02T05:04:05+02\"", 1704164645000},
      {"\"2024-01-02 03:04:05\"", 1704164645000},  // no zone: UTC
      {"\"2024-01-02t03:04:05z\"", 1704164645000},
      {"\"2024-01-02T03:04\"", 1704164640000},
      {"\"2024-01-02\"", 1704153600000},
      {"\"2024-02-29\"", 1709164800000},  // leap day
      {"\"2000-02-29T12:00:00Z\"", 951825600000},  // divisible by 400: leap
      {"\"1969-12-31T23:59:59.999Z\"", -1},
      {"\"1900-03-01\"", -2203891200000},
      {"\"0001-01-01T00:00:00Z\"", -62135596800000},
      {"\"9999-12-31T23:59:59.999Z\"", 253402300799999},
  };
  for (const Case& c : cases) {
    CAPTURE(c.json);
    auto d = decode({col({"ts"}, Type::timestamp())}, std::string("{\"ts\":") + c.json + "}");
    REQUIRE(d.batch.size == 1);
    CHECK(d.i64(0, 0) == c.millis);
  }
}

TEST_CASE("bad TIMESTAMP values say what is wrong") {
  auto ts = col({"ts"}, Type::timestamp());
  CHECK(reason_for(ts, R"({"ts":"2023-02-29"})") ==
        "field 'ts': invalid TIMESTAMP string \"2023-02-29\": day out of range");
  CHECK(reason_for(ts, R"({"ts":"1900-02-29"})") ==
        "field 'ts': invalid TIMESTAMP string \"1900-02-29\": day out of range");
  CHECK(reason_for(ts, R"({"ts":"2024-13-01"})") ==
        "field 'ts': invalid TIMESTAMP string \"2024-13-01\": month out of range");
  CHECK(reason_for(ts, R"({"ts":"2024-01-02T24:00:00Z"})") ==
        "field 'ts': invalid TIMESTAMP string \"2024-01-02T24:00:00Z\": hour out of range");
  CHECK(reason_for(ts, R"({"ts":"2024-01-02T03:04:60Z"})") ==
        "field 'ts': invalid TIMESTAMP string \"2024-01-02T03:04:60Z\": second out of range");
  CHECK(reason_for(ts, R"({"ts":"yesterday"})") ==
        "field 'ts': invalid TIMESTAMP string \"yesterday\": expected yyyy-MM-dd");
  CHECK(reason_for(ts, R"({"ts":"2024-01-02T03:04:05Q"})") ==
        "field 'ts': invalid TIMESTAMP string \"2024-01-02T03:04:05Q\": unexpected characters after the time");
  CHECK(reason_for(ts, R"({"ts":"2024-01-02T03:04:05+25:00"})") ==
        "field 'ts': invalid TIMESTAMP string \"2024-01-02T03:04:05+25:00\": UTC offset out of range");
  CHECK(reason_for(ts, R"({"ts":"2024-01-02T03:04:05."})") ==
        "field 'ts': invalid TIMESTAMP string \"2024-01-02T03:04:05.\": fraction must have 1 to 9 digits");
  CHECK(reason_for(ts, R"({"ts":"2024-01-02X03:04"})") ==
        "field 'ts': invalid TIMESTAMP string \"2024-01-02X03:04\": expected 'T' or ' ' after the date");
  CHECK(kind_for(ts, R"({"ts":"2024-13-01"})") == DecodeErrorKind::InvalidValue);
  CHECK(reason_for(ts, R"({"ts":1.5})") == "field 'ts': expected TIMESTAMP, got number 1.5");
  CHECK(reason_for(ts, R"({"ts":true})") == "field 'ts': expected TIMESTAMP, got boolean true");
  CHECK(reason_for(ts, R"({"ts":99999999999999999999})") ==
        "field 'ts': number 99999999999999999999 is out of range for TIMESTAMP");
}

TEST_CASE("nested paths decode without walking unneeded objects") {
  auto d = decode({col({"device", "os"}, Type::string()), col({"device", "meta", "v"}, Type::bigint()),
                   col({"user", "id"}, Type::bigint())},
                  R"({"device":{"model":"x","os":"ios","meta":{"v":17}},"user":{"id":5}})"
                  "\n"
                  R"({"user":{"name":"n"},"device":null})"
                  "\n"
                  R"({"device":{"meta":{}}})"
                  "\n");
  REQUIRE(d.batch.size == 3);
  CHECK(d.str(0, 0) == "ios");
  CHECK(d.i64(1, 0) == 17);
  CHECK(d.i64(2, 0) == 5);
  CHECK_FALSE(d.valid(0, 1));
  CHECK_FALSE(d.valid(1, 1));
  CHECK_FALSE(d.valid(2, 1));
  CHECK_FALSE(d.valid(1, 2));
  CHECK(reason_for(col({"device", "os"}, Type::string()), R"({"device":"phone"})") ==
        "field 'device': expected ROW, got string \"phone\"");
  CHECK(reason_for(col({"device", "os"}, Type::string()), R"({"device":{"os":1}})") ==
        "field 'device.os': expected STRING, got number 1");
}

TEST_CASE("a prefix path captures raw JSON and feeds the nested columns") {
  auto row = Type::row({{"os", Type::string(), false}});
  auto d = decode({col({"device"}, row, false, true), col({"device", "os"}, Type::string()),
                   col({"items"}, Type::array(Type::bigint()), false, true),
                   col({"any"}, Type::string(), false, true)},
                  R"({"items": [1, 2 ,3] , "device": { "os" : "ios", "x":[{}] } ,"any":-1.5e3 })"
                  "\n"
                  R"({"any":"a\"b","items":[]})"
                  "\n"
                  R"({"any":{"k":[true,null]}})"
                  "\n");
  REQUIRE(d.batch.size == 3);
  CHECK(d.str(0, 0) == R"({ "os" : "ios", "x":[{}] })");
  CHECK(d.str(1, 0) == "ios");
  CHECK(d.str(2, 0) == "[1, 2 ,3]");
  CHECK(d.str(3, 0) == "-1.5e3");
  CHECK(d.str(3, 1) == R"("a\"b")");
  CHECK(d.str(2, 1) == "[]");
  CHECK(d.str(3, 2) == R"({"k":[true,null]})");
  CHECK_FALSE(d.valid(0, 1));
  CHECK(reason_for(col({"items"}, Type::array(Type::bigint()), false, true), R"({"items":{"a":1}})") ==
        "field 'items': expected ARRAY, got object");
  CHECK(reason_for(col({"d"}, row, false, true), R"({"d":[1]})") ==
        "field 'd': expected ROW, got array");
  // Raw values are validated in full.
  CHECK(reason_for(col({"items"}, Type::array(Type::bigint()), false, true), R"({"items":[1,tru]})") ==
        "malformed JSON at byte 12: invalid literal");
  CHECK(reason_for(col({"items"}, Type::array(Type::bigint()), false, true), R"({"items":[1,2}})") ==
        "malformed JSON at byte 13: unexpected '}'");
}

TEST_CASE("field order does not matter") {
  std::vector<DecodeField> cols = {col({"a"}, Type::bigint()), col({"b"}, Type::string()),
                                    col({"c", "d"}, Type::boolean())};
  auto d = decode(cols,
                  R"({"a":1,"b":"x","c":{"d":true}})"
                  "\n"
                  R"({"c":{"d":true},"b":"x","a":1})"
                  "\n"
                  R"({"b":"x","z":0,"c":{"e":1,"d":true},"a":1})"
                  "\n");
  REQUIRE(d.batch.size == 3);
  for (uint32_t r = 0; r < 3; ++r) {
    CHECK(d.i64(0, r) == 1);
    CHECK(d.str(1, r) == "x");
    CHECK(d.b(2, r));
  }
}

TEST_CASE("duplicate keys: the last occurrence wins, every occurrence must convert") {
  auto d = decode({col({"a"}, Type::bigint()), col({"o", "x"}, Type::bigint()),
                   col({"o", "y"}, Type::bigint())},
                  R"({"a":1,"a":2,"o":{"x":1,"y":1},"o":{"x":5}})"
                  "\n"
                  R"({"a":1,"a":null})"
                  "\n");
  REQUIRE(d.batch.size == 2);
  CHECK(d.i64(0, 0) == 2);
  CHECK(d.i64(1, 0) == 5);
  CHECK_FALSE(d.valid(2, 0));  // the later "o" replaced the earlier one whole
  CHECK_FALSE(d.valid(0, 1));
  CHECK(reason_for(col({"a"}, Type::bigint()), R"({"a":"x","a":1})") ==
        "field 'a': expected BIGINT, got string \"x\"");
}

TEST_CASE("NOT NULL columns reject missing and null values") {
  auto id = col({"order_id"}, Type::bigint(), true);
  CHECK(reason_for(id, R"({"other":1})") == "field 'order_id' is NOT NULL but missing");
  CHECK(reason_for(id, R"({"order_id":null})") == "field 'order_id' is NOT NULL but null");
  CHECK(kind_for(id, "{}") == DecodeErrorKind::NotNullViolation);
  auto os = col({"device", "os"}, Type::string(), true);
  CHECK(reason_for(os, R"({"device":null})") == "field 'device.os' is NOT NULL but missing");
  CHECK(reason_for(os, R"({"device":{"os":null}})") == "field 'device.os' is NOT NULL but null");
}

TEST_CASE("malformed JSON is reported with the byte offset") {
  auto a = col({"a"}, Type::bigint());
  CHECK(reason_for(a, R"({"a":1 2})") == "malformed JSON at byte 7: unexpected '2'");
  CHECK(reason_for(a, R"({"a" 1})") == "malformed JSON at byte 5: unexpected '1'");
  CHECK(reason_for(a, R"({"a":1,})") == "malformed JSON at byte 7: unexpected '}'");
  CHECK(reason_for(a, R"({"a":1)") == "malformed JSON at byte 5: the record does not end with '}'");
  CHECK(reason_for(a, R"({"a":1} x)") == "malformed JSON at byte 8: the record does not end with '}'");
  CHECK(reason_for(a, R"({"a":1}{"a":2})") ==
        "malformed JSON at byte 7: unexpected content after the top-level object");
  CHECK(reason_for(a, R"({"a":01})") == "malformed JSON at byte 5: invalid number");
  CHECK(reason_for(a, R"({"a":-})") == "malformed JSON at byte 5: invalid number");
  CHECK(reason_for(a, R"({"a":tru})") == "malformed JSON at byte 5: invalid literal");
  CHECK(reason_for(a, R"({"a":"x)") == "malformed JSON at byte 5: unclosed string");
  CHECK(reason_for(a, R"({,})") == "malformed JSON at byte 1: unexpected ','");
  // Malformed JSON wins over a type error earlier in the record.
  CHECK(reason_for(a, R"({"a":{"b":1})") == "malformed JSON at byte 12: unexpected end of input");
  CHECK(reason_for(a, R"({"a":"x","b":[1,2})") == "malformed JSON at byte 17: unexpected '}'");
  CHECK(reason_for(a, R"({"a":"x","b":nul})") == "malformed JSON at byte 13: invalid literal");
  CHECK(kind_for(a, R"({"a":1 2})") == DecodeErrorKind::MalformedJson);
}

TEST_CASE("unused values are validated too (unless disabled)") {
  auto a = col({"a"}, Type::bigint());
  CHECK(reason_for(a, R"({"a":1,"b":tru})") == "malformed JSON at byte 11: invalid literal");
  CHECK(reason_for(a, R"({"a":1,"b":{"x" 1}})") == "malformed JSON at byte 16: unexpected '1'");
  CHECK(reason_for(a, R"({"a":1,"b":[1,}]})") == "malformed JSON at byte 14: unexpected '}'");
  CHECK(reason_for(a, R"({"a":1,"b":[01]})") == "malformed JSON at byte 12: invalid number");
  CHECK(reason_for(a, R"({"a":1,"b":"\q"})") ==
        "malformed JSON at byte 11: invalid escape sequence in string");
  CHECK(reason_for(a, R"({"a":1,"b\q":2})") ==
        "malformed JSON at byte 7: invalid escape sequence in string");
  // A string value followed by ':' (simdjson alone would skip it as a key).
  CHECK(reason_for(a, R"({"a":1,"b":"x":"y"})") == "malformed JSON at byte 14: unexpected ':'");
  CHECK(reason_for(a, R"({"b":"x":"y","a":1})") == "malformed JSON at byte 8: unexpected ':'");
  CHECK(reason_for(a, R"({"a":1,"b":["x":1]})") == "malformed JSON at byte 15: unexpected ':'");
  CHECK(reason_for(a, R"({"a":1,"b":{"c":"x":1}})") == "malformed JSON at byte 19: unexpected ':'");
  CHECK(reason_for(col({"s"}, Type::string()), R"({"s":"x":"y"})") ==
        "malformed JSON at byte 8: unexpected ':'");

  DecodeOptions lax;
  lax.validate_unused = false;
  auto d = decode({a}, R"({"a":1,"b":{"x" tru 1}})", lax);
  CHECK(d.batch.size == 1);
  CHECK(d.i64(0, 0) == 1);
}

TEST_CASE("skipped containers: every token is checked, and decoding resumes after them") {
  auto a = col({"a"}, Type::bigint());
  auto d = decode({a, col({"r"}, Type::array(Type::bigint()), false, true)},
                  R"({"s":{"x":[1,{"y":[[],{}]},"z"],"w":{}},"r":[ 1 , [2] ] ,"t":[],"a":5})"
                  "\n"
                  R"({"s" : [ { } , [ ] , -0.5e+2 , true , false , null , "q\n" ] , "a" : 6 })"
                  "\n");
  REQUIRE(d.batch.size == 2);
  CHECK(d.i64(0, 0) == 5);
  CHECK(d.str(1, 0) == "[ 1 , [2] ]");
  CHECK(d.i64(0, 1) == 6);
  CHECK_FALSE(d.valid(1, 1));

  CHECK(reason_for(a, R"({"a":1,"b":{"c":[1,{"d":2 "e":3}]}})") ==
        "malformed JSON at byte 26: unexpected '\"'");
  CHECK(reason_for(a, R"({"a":1,"b":{"c":1]}})") == "malformed JSON at byte 17: unexpected ']'");
  CHECK(reason_for(a, R"({"a":1,"b":[{"c":1},]})") == "malformed JSON at byte 20: unexpected ']'");
  CHECK(reason_for(a, R"({"a":1,"b":[{"c":{}})") ==
        "malformed JSON at byte 20: unexpected end of input");
  CHECK(reason_for(a, R"({"a":1,"b":{1:2}})") == "malformed JSON at byte 12: unexpected '1'");
  CHECK(reason_for(a, R"({"a":1,"b":[{"c\q":1}]})") ==
        "malformed JSON at byte 13: invalid escape sequence in string");
  CHECK(reason_for(a, R"({"a":1,"b":{"c":["\x"]}})") ==
        "malformed JSON at byte 17: invalid escape sequence in string");
  CHECK(reason_for(a, R"({"a":1,"b":[nul]})") == "malformed JSON at byte 12: invalid literal");
  CHECK(reason_for(a, R"({"a":1,"b":[1.]})") == "malformed JSON at byte 12: invalid number");
  CHECK(reason_for(a, R"({"a":1,"b":[.5]})") == "malformed JSON at byte 12: unexpected '.'");
  // A container of the wrong type is checked too, and the record goes on after it.
  auto c = col({"c"}, Type::bigint());
  CHECK(decode({a, c}, R"({"a":[1],"c":tru})").reason() == "malformed JSON at byte 13: invalid literal");
  CHECK(decode({a, c}, R"({"a":[1],"c":2})").reason() == "field 'a': expected BIGINT, got array");
}

TEST_CASE("a top-level value that is not an object is an error") {
  auto a = col({"a"}, Type::bigint());
  CHECK(reason_for(a, "[1,2]") == "expected a JSON object at the top level, got array");
  CHECK(reason_for(a, "42") == "expected a JSON object at the top level, got number");
  CHECK(reason_for(a, "  \"s\"") == "expected a JSON object at the top level, got string");
  CHECK(reason_for(a, "null") == "expected a JSON object at the top level, got null");
  CHECK(reason_for(a, "true") == "expected a JSON object at the top level, got boolean");
  CHECK(reason_for(a, "<xml/>") == "malformed JSON at byte 0: unexpected '<'");
  CHECK(kind_for(a, "[1,2]") == DecodeErrorKind::NotAnObject);
}

TEST_CASE("a top-level value that is not even valid JSON is malformed, not a non-object") {
  auto a = col({"a"}, Type::bigint());
  const std::pair<const char*, const char*> cases[] = {
      {"not json at all", "malformed JSON at byte 0: invalid literal"},
      {"nul", "malformed JSON at byte 0: invalid literal"},
      {"tru", "malformed JSON at byte 0: invalid literal"},
      {"t", "malformed JSON at byte 0: invalid literal"},
      {"falsey", "malformed JSON at byte 0: invalid literal"},
      {"123abc", "malformed JSON at byte 0: invalid number"},
      {"\"unterminated", "malformed JSON at byte 0: unclosed string"},
      {"{", "malformed JSON at byte 0: the record does not end with '}'"},
      {"}", "malformed JSON at byte 0: unexpected '}'"},
      {"[1, tru]", "malformed JSON at byte 4: invalid literal"},
      {"[1,", "malformed JSON at byte 3: unexpected end of input"},
      {"  \"s\\q\"", "malformed JSON at byte 2: invalid escape sequence in string"},
      {"\"str\" x", "malformed JSON at byte 6: unexpected content after the top-level value"},
      {"\"s\\n\" x", "malformed JSON at byte 6: unexpected content after the top-level value"},
      {"42 43", "malformed JSON at byte 3: unexpected content after the top-level value"},
      {"[1] [2]", "malformed JSON at byte 4: unexpected content after the top-level value"},
  };
  for (const auto& [record, reason] : cases) {
    INFO(std::string(record));
    CHECK(reason_for(a, record) == std::string(reason));
    CHECK(kind_for(a, record) == DecodeErrorKind::MalformedJson);
  }
  // Valid JSON of another type names that type.
  const std::pair<const char*, const char*> others[] = {
      {"null", "null"}, {" false ", "boolean"}, {"[1]", "array"}, {"[1, {\"b\": [true]}]", "array"},
      {"\"str\"", "string"}, {"\"s\\n\"", "string"}, {"42", "number"}, {"-1.5e3", "number"},
  };
  for (const auto& [record, type] : others) {
    INFO(std::string(record));
    CHECK(reason_for(a, record) == std::string("expected a JSON object at the top level, got ") + type);
    CHECK(kind_for(a, record) == DecodeErrorKind::NotAnObject);
  }
}

TEST_CASE("invalid UTF-8 is found wherever it is") {
  auto a = col({"a"}, Type::bigint());
  CHECK(reason_for(a, "{\"a\":1,\"b\":\"x\xFFy\"}") == "invalid UTF-8 at byte 13");
  CHECK(reason_for(a, "{\"a\":1,\"b\xC3\":2}") == "invalid UTF-8 at byte 9");
  CHECK(reason_for(a, "{\"a\":1,\"b\":\"\xED\xA0\x80\"}") == "invalid UTF-8 at byte 12");  // surrogate
  CHECK(reason_for(a, "{\"a\":1,\"b\":\"\xC0\xAF\"}") == "invalid UTF-8 at byte 12");  // overlong
  CHECK(kind_for(a, "{\"a\":\"\xFF\"}") == DecodeErrorKind::InvalidUtf8);
}

TEST_CASE("records over the size limit and nesting beyond the depth limit") {
  auto a = col({"a"}, Type::bigint());
  DecodeOptions small;
  small.max_record_size = 16;
  CHECK(reason_for(a, R"({"a":1,"b":"0123456789"})", small) ==
        "record of 24 bytes exceeds the maximum record size of 16 bytes");
  CHECK(kind_for(a, R"({"a":1,"b":"0123456789"})", small) == DecodeErrorKind::RecordTooLarge);
  auto ok = decode({a}, R"({"a":1234567890})", small);  // exactly 16 bytes
  CHECK(ok.batch.size == 1);

  DecodeOptions shallow;
  shallow.max_depth = 3;
  CHECK(decode({a}, R"({"a":1,"b":{"c":[]}})", shallow).batch.size == 1);
  CHECK(reason_for(a, R"({"a":1,"b":{"c":[[]]}})", shallow) ==
        "nesting exceeds the maximum depth of 3 at byte 17");
  CHECK(kind_for(a, R"({"a":1,"b":{"c":[[]]}})", shallow) == DecodeErrorKind::TooDeep);
  // The default limit (64) applies on the decoded path too.
  std::string deep = "{\"a\":1,\"r\":";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}";
  CHECK(kind_for(col({"r"}, Type::array(Type::bigint()), false, true), deep) ==
        DecodeErrorKind::TooDeep);
}

TEST_CASE("line numbers count blank lines; errors keep their raw record") {
  auto d = decode({col({"a"}, Type::bigint(), true)},
                  "{\"a\":1}\n\n   \n{\"a\":2}\r\n\t\r\n{\"b\":3}\n{\"a\":4}");
  CHECK(d.stats.blank_lines == 3);
  CHECK(d.stats.records == 4);
  CHECK(d.stats.rows == 3);
  REQUIRE(d.batch.size == 3);
  CHECK(d.batch.positions[0].line_or_offset == 1);
  CHECK(d.batch.positions[1].line_or_offset == 4);
  CHECK(d.batch.raw[1].view() == "{\"a\":2}");  // CR stripped
  CHECK(d.batch.positions[2].line_or_offset == 7);  // last line without newline
  CHECK(d.i64(0, 2) == 4);
  REQUIRE(d.errors.errors.size() == 1);
  const DecodeError& e = d.errors.errors[0];
  CHECK(e.pos == SourcePosition{3, -1, 6});
  CHECK(e.raw == "{\"b\":3}");
  CHECK(e.kind == DecodeErrorKind::NotNullViolation);
}

TEST_CASE("a failed row leaves no trace in the batch") {
  auto d = decode({col({"s"}, Type::string()), col({"n"}, Type::bigint())},
                  R"({"s":"esc\naped","n":"bad"})"
                  "\n"
                  R"({"n":2})"
                  "\n");
  REQUIRE(d.batch.size == 1);
  CHECK_FALSE(d.valid(0, 0));  // the failed row's string did not leak into row 0
  CHECK(d.i64(1, 0) == 2);
  CHECK(d.batch.arena.bytes_used() == 0);
}

TEST_CASE("a record the token walk hands back is decoded again from scratch") {
  // "\u006b" (k) stops the walk over the structural index, which has read "s"
  // (an escaped string, copied), "o.x" and "n" by then: On-Demand starts over.
  auto d = decode({col({"s"}, Type::string()), col({"o", "x"}, Type::bigint()),
                   col({"n"}, Type::bigint(), true), col({"k"}, Type::bigint())},
                  R"({"s":"esc\naped","o":{"x":1},"n":2,"\u006b":3})"
                  "\n"
                  R"({"n":"x","o":{"x":1},"\u006b":[1,2 3]})"
                  "\n");
  REQUIRE(d.batch.size == 1);
  CHECK(d.str(0, 0) == "esc\naped");
  CHECK(d.i64(1, 0) == 1);
  CHECK(d.i64(2, 0) == 2);
  CHECK(d.i64(3, 0) == 3);
  CHECK(d.batch.arena.bytes_used() == 8);  // the first walk's copy is not kept
  // Malformed after a value error: the error is the first structural one.
  CHECK(d.reason() == "malformed JSON at byte 35: unexpected '3'");
}

TEST_CASE("a reused batch: rows no value reached are NULL with zeroed slots, rows already there are kept") {
  NdjsonDecoder decoder(DecodeSpec{{col({"s"}, Type::string()), col({"n"}, Type::bigint()),
                                    col({"x"}, Type::float64()), col({"b"}, Type::boolean())}});
  Batch batch = decoder.make_batch(128);
  DecodeErrors errors;
  std::string full;
  for (int i = 0; i < 100; ++i) full += R"({"s":"abc","n":7,"x":1.5,"b":true})" "\n";
  CHECK(decoder.decode(InputChunk::copy_of(full), batch, errors));
  REQUIRE(batch.size == 100);
  batch.reset();
  // Row 0 keeps its values; row 1 fails after setting s (its slot is reused by
  // the next record); every other row has no values at all.
  CHECK(decoder.decode(InputChunk::copy_of(R"({"s":"kept","n":1,"x":2.5,"b":false})" "\n"
                                           R"({"s":"gone","n":"bad"})" "\n"),
                       batch, errors));
  std::string empties;
  for (int i = 0; i < 70; ++i) empties += "{}\n";
  CHECK(decoder.decode(InputChunk::copy_of(empties), batch, errors));
  REQUIRE(batch.size == 71);
  CHECK(errors.errors.size() == 1);
  CHECK(batch.columns[0].is_valid(0));
  CHECK(batch.columns[0].data<StringRef>()[0].view() == "kept");
  CHECK(batch.columns[1].data<int64_t>()[0] == 1);
  for (uint32_t r = 1; r < batch.size; ++r) {
    CAPTURE(r);
    for (uint32_t c = 0; c < 4; ++c) CHECK_FALSE(batch.columns[c].is_valid(r));
    CHECK(batch.columns[0].data<StringRef>()[r].size == 0);
    CHECK(batch.columns[1].data<int64_t>()[r] == 0);
    CHECK(batch.columns[2].data<double>()[r] == 0.0);
    CHECK(batch.columns[3].data<uint8_t>()[r] == 0);
  }
}

TEST_CASE("a chunk larger than the batch resumes from the cursor") {
  NdjsonDecoder decoder(DecodeSpec{{col({"a"}, Type::bigint())}});
  std::string text;
  for (int i = 1; i <= 100; ++i) {
    text += "{\"a\":" + std::to_string(i) + "}\n";
    if (i % 10 == 0) text += "\n";
  }
  auto chunk = InputChunk::copy_of(text, 0, 50);
  DecodeErrors errors;
  DecodeCursor cursor;
  std::vector<int64_t> values;
  std::vector<uint64_t> lines;
  int batches = 0;
  bool done = false;
  while (!done) {
    Batch batch = decoder.make_batch(64);
    done = decoder.decode(chunk, batch, errors, cursor);
    ++batches;
    CHECK(batch.size <= 64);
    for (uint32_t r = 0; r < batch.size; ++r) {
      values.push_back(batch.columns[0].data<int64_t>()[r]);
      lines.push_back(batch.positions[r].line_or_offset);
    }
  }
  CHECK(batches == 2);
  REQUIRE(values.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(values[i] == i + 1);
  CHECK(lines[0] == 50);
  CHECK(lines[10] == 61);  // after one blank line
  CHECK(lines[99] == 50 + 99 + 9);
}

TEST_CASE("explicitly framed records (Kafka) carry partition and offset") {
  NdjsonDecoder decoder(DecodeSpec{{col({"a"}, Type::bigint())}});
  // Frames may hold newlines (one pretty-printed message) and need no separator.
  std::vector<std::string> messages = {"{\"a\":1}", "{\n\"a\" : 2\n}", "{\"a\":}", "  "};
  std::string text;
  std::vector<InputChunk::Frame> frames;
  for (size_t i = 0; i < messages.size(); ++i) {
    frames.push_back({text.size(), static_cast<uint32_t>(messages[i].size()), 1000 + i});
    text += messages[i];
  }
  auto chunk = InputChunk::copy_of(text, 2);
  chunk->partition = 4;
  chunk->frames = frames;
  Batch batch = decoder.make_batch();
  DecodeErrors errors;
  CHECK(decoder.decode(chunk, batch, errors));
  REQUIRE(batch.size == 2);
  CHECK(batch.positions[1] == SourcePosition{2, 4, 1001});
  CHECK(batch.columns[0].data<int64_t>()[1] == 2);
  REQUIRE(errors.errors.size() == 2);
  CHECK(errors.errors[0].pos.line_or_offset == 1002);
  CHECK(errors.errors[0].reason == "malformed JSON at byte 5: unexpected '}'");
  CHECK(errors.errors[1].reason == "malformed JSON at byte 2: empty record");
}

TEST_CASE("decode specs are validated") {
  auto bad = [](std::vector<DecodeField> cols) { return DecodeSpec{std::move(cols)}.validate(); };
  CHECK(bad({col({"a"}, Type::bigint())}).empty());
  CHECK(bad({col({}, Type::bigint())}) == "column 0 has an empty path");
  CHECK(bad({col({"a"}, Type::bigint()), col({"a"}, Type::string())}) == "column 'a' is listed twice");
  CHECK(bad({col({"a"}, Type::row({}))}) == "column 'a': ROW and ARRAY columns must be raw_json");
  CHECK(bad({col({"a"}, Type::bigint(), false, true)}) ==
        "column 'a': raw_json needs a ROW, ARRAY or STRING type");
  CHECK(bad({col({"a"}, Type::string()), col({"a", "b"}, Type::string())}) ==
        "column 'a' is a prefix of 'a.b' and so must be a raw_json ROW or STRING");
  CHECK(bad({col({"a"}, Type::row({}), false, true), col({"a", "b"}, Type::string())}).empty());
  CHECK_THROWS_AS(NdjsonDecoder(DecodeSpec{{col({}, Type::bigint())}}), std::invalid_argument);
  DecodeField external{{}, Type::bigint(), true, false, true};
  CHECK(bad({col({"a"}, Type::bigint()), external, external}).empty());
}

TEST_CASE("external columns are left NULL for the source to fill") {
  DecodeField offset{{"offset"}, Type::bigint(), true, false, true};
  auto d = decode({col({"a"}, Type::bigint()), offset}, R"({"a":1,"offset":"not read"})");
  REQUIRE(d.batch.size == 1);
  CHECK(d.i64(0, 0) == 1);
  CHECK_FALSE(d.valid(1, 0));  // not read from the record, NOT NULL not checked
}
