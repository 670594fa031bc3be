// TIMESTAMP values are int64 milliseconds since 1970-01-01T00:00:00Z (UTC).
// These helpers convert between that representation and civil dates / ISO-8601
// text without locale or time-zone library calls (proleptic Gregorian calendar,
// H. Hinnant's days_from_civil algorithms).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pipec {

inline constexpr int64_t kMillisPerSecond = 1000;
inline constexpr int64_t kMillisPerDay = 86'400'000;

struct CivilTime {
  int64_t year;
  int month;    // 1..12
  int day;      // 1..31
  int hour;     // 0..23
  int minute;   // 0..59
  int second;   // 0..59
  int millis;   // 0..999
};

constexpr bool is_leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int64_t year, int month);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
constexpr int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The proleptic Gregorian date of a day number (days since 1970-01-01).
struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};
CivilDate civil_from_days(int64_t days);

CivilTime civil_from_millis(int64_t millis);

// Parses an ISO-8601 / RFC 3339 timestamp into UTC epoch milliseconds.
// Accepted forms (year exactly 4 digits):
//   yyyy-MM-dd                               midnight UTC
//   yyyy-MM-dd('T'|'t'|' ')HH:mm[:ss[(.|,)f{1,9}]][zone]
//   zone: 'Z' | 'z' | (+|-)HH[[:]mm]; absent zone means UTC
// Fractions beyond milliseconds are truncated. Seconds must be 0..59 (no leap
// second). On failure returns false and sets *error to a short reason.
bool parse_iso8601_millis(std::string_view text, int64_t* out, std::string_view* error);

// Longest output of format_iso8601_millis.
inline constexpr size_t kMaxIso8601Length = 32;

// Writes `yyyy-MM-ddTHH:mm:ss.SSSZ` (24 bytes for years 0..9999; years outside
// that range get a sign and as many digits as needed). Returns the length.
size_t format_iso8601_millis(int64_t millis, char* out);

// format_iso8601_millis for a stream of timestamps: remembers the date text of
// the last day it wrote, so events of the same day (nearly all consecutive
// ones) skip the calendar arithmetic. One per thread.
class Iso8601Formatter {
 public:
  size_t format(int64_t millis, char* out);

 private:
  int64_t day_ = INT64_MIN;  // days since 1970-01-01 of date_
  char date_[kMaxIso8601Length] = {};  // "yyyy-MM-ddT"
  size_t date_length_ = 0;
};

}  // namespace pipec
