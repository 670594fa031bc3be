#include <doctest/doctest.h>

#include "stdlib/validation.h"
#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

namespace {
int64_t ts(std::string_view name, std::vector<Value> args) {
  Value v = call(name, std::move(args));
  REQUIRE_FALSE(v.is_null);
  return v.i;
}
bool is_null(std::string_view name, std::vector<Value> args) { return call(name, std::move(args)).is_null; }
constexpr int64_t k2024 = 1715940672345;  // 2024-05-17T10:11:12.345Z, a Friday
}  // namespace

TEST_CASE("now() is the context's run time and is marked non-deterministic") {
  CHECK(ts("now", {}) == 1'700'000'000'123);
  CHECK(call("now", {}).type == TypeId::Timestamp);
  CHECK_FALSE(FunctionCatalogue::instance().find("now")->deterministic);
  CHECK(FunctionCatalogue::instance().find("to_timestamp")->deterministic);
}

TEST_CASE("to_timestamp(string): ISO-8601") {
  CHECK(ts("to_timestamp", {S("2024-02-29T12:34:56.789Z")}) == 1709210096789);
  CHECK(ts("to_timestamp", {S("2024-02-29 12:34:56.789")}) == 1709210096789);
  CHECK(ts("to_timestamp", {S("2024-02-29T14:34:56.789+02:00")}) == 1709210096789);
  CHECK(ts("to_timestamp", {S("2024-02-29T12:34:56.789123456Z")}) == 1709210096789);  // truncated
  CHECK(ts("to_timestamp", {S("2000-01-01")}) == 946684800000);
  CHECK(ts("to_timestamp", {S("1970-01-01T00:00:00Z")}) == 0);
  CHECK(ts("to_timestamp", {S("1969-12-31T23:59:59.999Z")}) == -1);
  CHECK(ts("to_timestamp", {S("0001-01-01")}) == -62135596800000);
  CHECK(ts("to_timestamp", {S("9999-12-31T23:59:59.999Z")}) == 253402300799999);
  // Leap years: 2000 is one, 1900 and 2023 are not.
  CHECK(ts("to_timestamp", {S("2000-02-29")}) == 951782400000);
  CHECK(is_null("to_timestamp", {S("1900-02-29")}));
  CHECK(is_null("to_timestamp", {S("2023-02-29")}));
  // Garbage is NULL.
  for (const char* bad : {"", "yesterday", "2024-13-01", "2024-00-10", "2024-01-32", "2024-01-01T24:00:00Z",
                          "2024-01-01T12:60", "2024-01-01T12:00:60Z", "2024-01-01T12:00:00+25:00",
                          "2024-01-01T12:00:00Zjunk", "24-01-01", "2024-1-1", "2024-01-01T", " 2024-01-01",
                          "2024-01-01T12:00:00.Z", "\xFF\xFE"})
    CHECK_MESSAGE(is_null("to_timestamp", {S(bad)}), bad);
  CHECK(is_null("to_timestamp", {N(TypeId::String)}));
}

TEST_CASE("to_timestamp(string, format)") {
  auto parse = [](std::string s, std::string f) { return call("to_timestamp", {S(s), S(f)}); };
  CHECK(parse("2024-05-17 10:11:12.345", "yyyy-MM-dd HH:mm:ss.SSS").i == k2024);
  CHECK(parse("17/05/2024 10:11:12", "dd/MM/yyyy HH:mm:ss").i == k2024 - 345);
  CHECK(parse("20240517101112345", "yyyyMMddHHmmssSSS").i == k2024);
  CHECK(parse("2024-05-17T10:11:12Z", "yyyy-MM-dd'T'HH:mm:ssX").i == k2024 - 345);
  CHECK(parse("2024-05-17T12:11:12+02:00", "yyyy-MM-dd'T'HH:mm:ssXXX").i == k2024 - 345);
  CHECK(parse("2024-05-17T05:41:12-0430", "yyyy-MM-dd'T'HH:mm:ssXX").i == k2024 - 345);
  CHECK(parse("2024-05-17T12:11:12+02", "yyyy-MM-dd'T'HH:mm:ssX").i == k2024 - 345);
  CHECK(parse("5/7/2024", "d/M/yyyy").i == 1720137600000);
  CHECK(parse("17.5.24", "d.M.yy").i == 1715904000000);
  CHECK(parse("2024-05-17", "yyyy-MM-dd").i == 1715904000000);
  CHECK(parse("10:11", "HH:mm").i == 36660000);  // date defaults to 1970-01-01
  CHECK(parse("12.3", "ss.S").i == 12300);
  CHECK(parse("12.345678", "ss.SSSSSS").i == 12345);
  CHECK(parse("at 2024", "'at' yyyy").i == 1704067200000);
  CHECK(parse("it's 2024", "'it''s' yyyy").i == 1704067200000);
  CHECK(parse("1969-12-31 23:59:59.999", "yyyy-MM-dd HH:mm:ss.SSS").i == -1);
  CHECK(parse("2024-02-29", "yyyy-MM-dd").i == 1709164800000);
  // Input that does not fit the pattern.
  CHECK(parse("2023-02-29", "yyyy-MM-dd").is_null);
  CHECK(parse("2024-05-17", "yyyy-MM-dd HH").is_null);
  CHECK(parse("2024-05-17 10", "yyyy-MM-dd").is_null);   // trailing input
  CHECK(parse("24-05-17", "yyyy-MM-dd").is_null);
  CHECK(parse("2024-5-17", "yyyy-MM-dd").is_null);       // MM needs two digits
  CHECK(parse("2024-05-17 25:00", "yyyy-MM-dd HH:mm").is_null);
  CHECK(parse("2024/05/17", "yyyy-MM-dd").is_null);
  CHECK(parse("12.34", "ss.SSS").is_null);
  CHECK(parse("", "yyyy").is_null);
  CHECK(parse("", "").i == 0);  // nothing to parse: the epoch
  // Invalid patterns are NULL.
  CHECK(parse("2024-05-17T10:11", "yyyy-MM-ddTHH:mm").is_null);  // unquoted letter
  CHECK(parse("2024", "y").is_null);
  CHECK(parse("2024", "yyyyy").is_null);
  CHECK(parse("x", "'x").is_null);
  CHECK(parse("May", "MMM").is_null);
  CHECK(call("to_timestamp", {S("2024"), N(TypeId::String)}).is_null);
}

TEST_CASE("to_timestamp(bigint), epoch_millis, epoch_seconds, from_unixtime") {
  CHECK(ts("to_timestamp", {I(k2024)}) == k2024);
  CHECK(call("to_timestamp", {I(5)}).type == TypeId::Timestamp);
  CHECK(ts("epoch_millis", {TS(k2024)}) == k2024);
  CHECK(call("epoch_millis", {TS(1)}).type == TypeId::BigInt);
  CHECK(ts("epoch_seconds", {TS(k2024)}) == 1715940672);
  CHECK(ts("epoch_seconds", {TS(-1)}) == -1);  // floored
  CHECK(ts("epoch_seconds", {TS(-1000)}) == -1);
  CHECK(ts("epoch_seconds", {TS(-1001)}) == -2);
  CHECK(ts("epoch_seconds", {TS(INT64_MIN)}) == -9223372036854776);
  CHECK(ts("from_unixtime", {I(1715940672)}) == 1715940672000);
  CHECK(ts("from_unixtime", {I(-1)}) == -1000);
  CHECK(is_null("from_unixtime", {I(INT64_MAX / 100)}));  // overflow
  CHECK(is_null("from_unixtime", {I(INT64_MIN)}));
  CHECK(is_null("epoch_seconds", {N(TypeId::Timestamp)}));
}

TEST_CASE("date_trunc") {
  auto trunc = [](const char* unit, int64_t t) { return call("date_trunc", {S(unit), TS(t)}); };
  CHECK(trunc("second", k2024).i == k2024 - 345);
  CHECK(trunc("minute", k2024).i == k2024 - 12345);
  CHECK(trunc("hour", k2024).i == k2024 - 11 * 60000 - 12345);
  CHECK(trunc("day", k2024).i == 1715904000000);
  CHECK(trunc("week", k2024).i == 1715558400000);  // Monday 2024-05-13
  CHECK(trunc("month", k2024).i == 1714521600000);
  CHECK(trunc("quarter", k2024).i == 1711929600000);
  CHECK(trunc("year", k2024).i == 1704067200000);
  CHECK(trunc("millisecond", k2024).i == k2024);
  CHECK(trunc("DAY", k2024).i == 1715904000000);  // case-insensitive
  // Before the epoch: floored, not truncated toward zero.
  CHECK(trunc("second", -1).i == -1000);
  CHECK(trunc("day", -1).i == -86400000);
  CHECK(trunc("week", 0).i == -3 * 86400000);  // 1970-01-01 was a Thursday
  CHECK(trunc("month", -1).i == -2678400000);  // 1969-12-01
  CHECK(trunc("year", -1).i == -31536000000);  // 1969-01-01
  CHECK(trunc("quarter", -1).i == -7948800000);  // 1969-10-01
  CHECK(trunc("day", 951868800000).i == 951868800000);  // 2000-03-01
  // Weekdays all map to the same Monday.
  for (int d = 0; d < 7; ++d) CHECK(trunc("week", 1715558400000 + d * 86400000LL + 5).i == 1715558400000);
  // Unknown units and extremes.
  CHECK(trunc("fortnight", k2024).is_null);
  CHECK(trunc("dow", k2024).is_null);  // an extract unit, not a truncation
  CHECK(trunc("", k2024).is_null);
  CHECK(trunc("second", INT64_MIN).is_null);  // floor would go below the range
  CHECK(trunc("year", INT64_MIN).is_null);
  CHECK(trunc("day", INT64_MAX).i == INT64_MAX - INT64_MAX % 86400000);
  CHECK(trunc("year", INT64_MAX).i <= INT64_MAX);
  CHECK(call("date_trunc", {N(TypeId::String), TS(0)}).is_null);
}

TEST_CASE("extract") {
  auto ex = [](const char* unit, int64_t t) { return call("extract", {S(unit), TS(t)}); };
  CHECK(ex("year", k2024).i == 2024);
  CHECK(ex("quarter", k2024).i == 2);
  CHECK(ex("month", k2024).i == 5);
  CHECK(ex("day", k2024).i == 17);
  CHECK(ex("hour", k2024).i == 10);
  CHECK(ex("minute", k2024).i == 11);
  CHECK(ex("second", k2024).i == 12);
  CHECK(ex("millisecond", k2024).i == 345);
  CHECK(ex("dow", k2024).i == 5);  // Friday, ISO numbering (Monday = 1)
  CHECK(ex("isodow", k2024).i == 5);
  CHECK(ex("dow", 1715558400000).i == 1);  // Monday
  CHECK(ex("dow", 1715558400000 - 1).i == 7);  // Sunday
  CHECK(ex("doy", k2024).i == 138);
  CHECK(ex("doy", 1735603200000).i == 366);  // 2024-12-31, leap year
  CHECK(ex("week", k2024).i == 20);
  CHECK(ex("epoch", k2024).i == 1715940672);
  CHECK(ex("EPOCH", -1).i == -1);
  // ISO weeks at year boundaries.
  CHECK(ex("week", 1609459200000).i == 53);  // 2021-01-01 is in week 53 of 2020
  CHECK(ex("isoyear", 1609459200000).i == 2020);
  CHECK(ex("week", 1735516800000).i == 1);  // 2024-12-30 is in week 1 of 2025
  CHECK(ex("isoyear", 1735516800000).i == 2025);
  // Before the epoch.
  CHECK(ex("year", -1).i == 1969);
  CHECK(ex("month", -1).i == 12);
  CHECK(ex("day", -1).i == 31);
  CHECK(ex("hour", -1).i == 23);
  CHECK(ex("millisecond", -1).i == 999);
  CHECK(ex("dow", -1).i == 3);  // Wednesday 1969-12-31
  CHECK(ex("week", -1).i == 1);
  CHECK(ex("isoyear", -1).i == 1970);
  CHECK(ex("year", -14182940000).i == 1969);  // Apollo 11 landing, 1969-07-20T20:17:40Z
  CHECK(ex("doy", -14182940000).i == 201);
  CHECK(ex("year", -62135596800000).i == 1);
  CHECK(ex("year", -62135596800001).i == 0);  // proleptic year 0 (1 BC)
  // Extremes stay defined.
  CHECK(ex("year", INT64_MAX).i == 292278994);
  CHECK(ex("year", INT64_MIN).i == -292275055);
  CHECK(ex("week", INT64_MAX).i >= 1);
  CHECK(ex("week", INT64_MIN).i >= 1);
  CHECK(ex("isoyear", INT64_MIN).i <= -292275055);
  CHECK(ex("century", k2024).is_null);
  CHECK(call("extract", {S("year"), N(TypeId::Timestamp)}).is_null);
}

TEST_CASE("format_timestamp") {
  auto fmt = [](int64_t t, const char* p) { return str("format_timestamp", {TS(t), S(p)}); };
  CHECK(fmt(k2024, "yyyy-MM-dd HH:mm:ss.SSS") == "2024-05-17 10:11:12.345");
  CHECK(fmt(k2024, "yyyy-MM-dd'T'HH:mm:ss.SSSX") == "2024-05-17T10:11:12.345Z");
  CHECK(fmt(k2024, "dd/MM/yy") == "17/05/24");
  CHECK(fmt(k2024, "d.M.yyyy H:m:s") == "17.5.2024 10:11:12");
  CHECK(fmt(1715904000000 + 3723000, "H:m:s") == "1:2:3");
  CHECK(fmt(k2024, "S|SS|SSSSSS") == "3|34|345000");
  CHECK(fmt(k2024, "'week of' yyyy, 'it''s' MM") == "week of 2024, it's 05");
  CHECK(fmt(-1, "yyyy-MM-dd HH:mm:ss.SSS") == "1969-12-31 23:59:59.999");
  CHECK(fmt(-62135596800001, "yyyy-MM-dd") == "0000-12-31");
  CHECK(fmt(-62167219200001, "yyyy-MM-dd") == "-0001-12-31");
  CHECK(fmt(253402300800000, "yyyy-MM-dd") == "+10000-01-01");
  CHECK(fmt(INT64_MAX, "yyyy") == "+292278994");
  CHECK(fmt(INT64_MIN, "yyyy-MM-dd") == "-292275055-05-16");
  CHECK(fmt(k2024, "") == "");
  CHECK(fmt(k2024, "yyyy-MM-ddTHH") == "<NULL>");  // invalid pattern
  CHECK(fmt(k2024, "EEE") == "<NULL>");
  CHECK(str("format_timestamp", {N(TypeId::Timestamp), S("yyyy")}) == "<NULL>");
  // format then parse round-trips.
  for (int64_t t : {int64_t{0}, int64_t{-1}, k2024, int64_t{951782400000}, int64_t{253402300799999}}) {
    std::string text = fmt(t, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    CHECK(ts("to_timestamp", {S(text), S("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")}) == t);
    CHECK(ts("to_timestamp", {S(text)}) == t);
  }
}

TEST_CASE("date_add / date_sub") {
  CHECK(ts("date_add", {TS(k2024), IV(3600000)}) == k2024 + 3600000);
  CHECK(ts("date_add", {TS(0), IV(-1)}) == -1);
  CHECK(ts("date_sub", {TS(0), IV(1)}) == -1);
  CHECK(is_null("date_add", {TS(INT64_MAX), IV(1)}));
  CHECK(is_null("date_sub", {TS(INT64_MIN), IV(1)}));
  CHECK(is_null("date_add", {TS(0), N(TypeId::Interval)}));
}

TEST_CASE("validation helpers for the binder") {
  std::string err;
  CHECK(stdlib_validate_timestamp_format("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", &err));
  CHECK_FALSE(stdlib_validate_timestamp_format("yyyy-MM-ddTHH", &err));
  CHECK(err.find("'T'") != std::string::npos);
  CHECK_FALSE(stdlib_validate_timestamp_format("'open", &err));
  CHECK(stdlib_validate_time_unit("Week", false, &err));
  CHECK(stdlib_validate_time_unit("dow", true, &err));
  CHECK_FALSE(stdlib_validate_time_unit("dow", false, &err));
  CHECK_FALSE(stdlib_validate_time_unit("fortnight", true, nullptr));
}

TEST_CASE("random instants: format/parse round-trip and field consistency (differential)") {
  uint64_t rng = 777;
  auto next = [&] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng >> 11;
  };
  // Years 0000..9999.
  const int64_t lo = -62167219200000, hi = 253402300799999;
  int failures = 0;
  for (int i = 0; i < 2000; ++i) {
    int64_t t = lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo));
    std::string text = str("format_timestamp", {TS(t), S("yyyy-MM-dd HH:mm:ss.SSS")});
    Value back = call("to_timestamp", {S(text), S("yyyy-MM-dd HH:mm:ss.SSS")});
    Value iso = call("to_timestamp", {S(text)});
    bool ok = !back.is_null && back.i == t && !iso.is_null && iso.i == t;
    ok &= std::to_string(call("extract", {S("year"), TS(t)}).i) == std::to_string(std::stoll(text.substr(0, 4)));
    ok &= call("extract", {S("month"), TS(t)}).i == std::stoll(text.substr(5, 2));
    ok &= call("extract", {S("day"), TS(t)}).i == std::stoll(text.substr(8, 2));
    ok &= call("extract", {S("millisecond"), TS(t)}).i == std::stoll(text.substr(20, 3));
    int64_t day = call("date_trunc", {S("day"), TS(t)}).i;
    ok &= day <= t && t - day < 86400000 && day % 86400000 == 0;
    int64_t week = call("date_trunc", {S("week"), TS(t)}).i;
    ok &= call("extract", {S("dow"), TS(week)}).i == 1 && t - week < 7 * 86400000LL && week <= t;
    int64_t month = call("date_trunc", {S("month"), TS(t)}).i;
    ok &= call("extract", {S("day"), TS(month)}).i == 1 && month <= t;
    if (!ok && failures++ < 5) FAIL_CHECK("instant " << t << " (" << text << ")");
  }
  CHECK(failures == 0);
}
