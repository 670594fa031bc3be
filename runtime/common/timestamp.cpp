#include "runtime/common/timestamp.h"

#include <charconv>
#include <cstring>

namespace pipec {

int days_in_month(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

CivilDate civil_from_days(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDate d;
  d.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  d.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  d.year = yoe + era * 400 + (d.month <= 2);
  return d;
}

CivilTime civil_from_millis(int64_t millis) {
  // Floor division so instants before 1970 land on the right day.
  int64_t days = millis / kMillisPerDay;
  int64_t rem = millis % kMillisPerDay;
  if (rem < 0) {
    rem += kMillisPerDay;
    --days;
  }
  CivilDate date = civil_from_days(days);
  CivilTime t;
  t.day = date.day;
  t.month = date.month;
  t.year = date.year;
  t.hour = static_cast<int>(rem / 3'600'000);
  t.minute = static_cast<int>(rem / 60'000 % 60);
  t.second = static_cast<int>(rem / 1000 % 60);
  t.millis = static_cast<int>(rem % 1000);
  return t;
}

namespace {

bool digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Reads exactly n digits at s[pos...]; advances pos.
bool read_digits(std::string_view s, size_t& pos, int n, int& value) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  value = v;
  pos += n;
  return true;
}

}  // namespace

bool parse_iso8601_millis(std::string_view s, int64_t* out, std::string_view* error) {
  auto fail = [&](std::string_view why) {
    *error = why;
    return false;
  };
  size_t pos = 0;
  int year, month, day;
  if (!read_digits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, day))
    return fail("expected yyyy-MM-dd");
  if (month < 1 || month > 12) return fail("month out of range");
  if (day < 1 || day > days_in_month(year, month)) return fail("day out of range");
  int64_t millis = days_from_civil(year, month, day) * kMillisPerDay;
  if (pos == s.size()) {
    *out = millis;
    return true;
  }
  char sep = s[pos++];
  if (sep != 'T' && sep != 't' && sep != ' ') return fail("expected 'T' or ' ' after the date");
  int hour, minute, second = 0, frac_ms = 0;
  if (!read_digits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':' ||
      !read_digits(s, pos, 2, minute))
    return fail("expected HH:mm after the date");
  if (hour > 23) return fail("hour out of range");
  if (minute > 59) return fail("minute out of range");
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!read_digits(s, pos, 2, second)) return fail("expected two-digit seconds");
    if (second > 59) return fail("second out of range");
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      size_t start = pos;
      while (pos < s.size() && digit(s[pos])) {
        if (pos - start < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
        ++pos;
      }
      size_t n = pos - start;
      if (n == 0 || n > 9) return fail("fraction must have 1 to 9 digits");
      for (size_t i = n; i < 3; ++i) frac_ms *= 10;
    }
  }
  millis += hour * 3'600'000LL + minute * 60'000LL + second * 1000LL + frac_ms;
  if (pos < s.size()) {
    char z = s[pos++];
    if (z == 'Z' || z == 'z') {
      // UTC
    } else if (z == '+' || z == '-') {
      int oh, om = 0;
      if (!read_digits(s, pos, 2, oh)) return fail("bad UTC offset");
      if (pos < s.size()) {
        if (s[pos] == ':') ++pos;
        if (!read_digits(s, pos, 2, om)) return fail("bad UTC offset");
      }
      if (oh > 23 || om > 59) return fail("UTC offset out of range");
      int64_t offset = oh * 3'600'000LL + om * 60'000LL;
      // Local time = UTC + offset, so UTC = local - offset.
      millis += z == '+' ? -offset : offset;
    } else {
      return fail("unexpected characters after the time");
    }
    if (pos != s.size()) return fail("unexpected characters after the time");
  }
  *out = millis;
  return true;
}

namespace {

// "00" .. "99".
constexpr struct DigitPairs {
  char text[200] = {};
  constexpr DigitPairs() {
    for (int i = 0; i < 100; ++i) {
      text[2 * i] = static_cast<char>('0' + i / 10);
      text[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
  }
} kDigitPairs;

// Two digits of v (0-99), one table load (formatters run per TIMESTAMP value
// of every _bulk document).
void put2(char*& p, uint32_t v) {
  std::memcpy(p, &kDigitPairs.text[2 * v], 2);
  p += 2;
}

// "yyyy-MM-ddT" of a day number; returns the length.
size_t format_date_part(int64_t days, char* out) {
  CivilDate d = civil_from_days(days);
  char* p = out;
  if (d.year >= 0 && d.year <= 9999) {
    int y = static_cast<int>(d.year);
    put2(p, y / 100);
    put2(p, y % 100);
  } else {
    // ISO 8601 expanded representation: explicit sign, at least 4 digits.
    int64_t y = d.year;
    *p++ = y < 0 ? '-' : '+';
    uint64_t mag = y < 0 ? uint64_t(0) - uint64_t(y) : uint64_t(y);
    char digits[24];
    auto r = std::to_chars(digits, digits + sizeof digits, mag);
    for (size_t n = static_cast<size_t>(r.ptr - digits); n < 4; ++n) *p++ = '0';
    for (char* c = digits; c < r.ptr; ++c) *p++ = *c;
  }
  *p++ = '-';
  put2(p, d.month);
  *p++ = '-';
  put2(p, d.day);
  *p++ = 'T';
  return static_cast<size_t>(p - out);
}

// "HH:mm:ss.SSSZ" of the milliseconds since midnight (13 bytes).
void format_time_part(int64_t ms_of_day, char* p) {
  const uint32_t ms = static_cast<uint32_t>(ms_of_day);
  const uint32_t milli = ms % 1000;
  put2(p, ms / 3'600'000);
  *p++ = ':';
  put2(p, ms / 60'000 % 60);
  *p++ = ':';
  put2(p, ms / 1000 % 60);
  *p++ = '.';
  *p++ = static_cast<char>('0' + milli / 100);
  put2(p, milli % 100);
  *p = 'Z';
}

constexpr size_t kTimePartLength = 13;

// Floor division so instants before 1970 land on the right day.
struct DayAndTime {
  int64_t days;
  int64_t ms_of_day;
};
DayAndTime split_day(int64_t millis) {
  int64_t days = millis / kMillisPerDay;
  int64_t rem = millis % kMillisPerDay;
  if (rem < 0) return {days - 1, rem + kMillisPerDay};
  return {days, rem};
}

}  // namespace

size_t format_iso8601_millis(int64_t millis, char* out) {
  DayAndTime t = split_day(millis);
  size_t n = format_date_part(t.days, out);
  format_time_part(t.ms_of_day, out + n);
  return n + kTimePartLength;
}

size_t Iso8601Formatter::format(int64_t millis, char* out) {
  DayAndTime t = split_day(millis);
  if (t.days != day_) {
    date_length_ = format_date_part(t.days, date_);
    day_ = t.days;
  }
  std::memcpy(out, date_, 16);  // usually 11 bytes: a fixed-size copy is cheaper
  if (date_length_ > 16) std::memcpy(out, date_, date_length_);
  format_time_part(t.ms_of_day, out + date_length_);
  return date_length_ + kTimePartLength;
}

}  // namespace pipec
