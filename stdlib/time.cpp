// Time functions on TIMESTAMP (int64 milliseconds since the Unix epoch, UTC).
// Calendar arithmetic is proleptic Gregorian (H. Hinnant's civil/days
// algorithms in runtime/common/timestamp.h): no gmtime, no locale, no time
// zone database, so results are identical on every machine. Instants before
// 1970 are floored (date_trunc(day, -1 ms) is 1969-12-31).
//
// The pattern language of to_timestamp(s, format) and format_timestamp is a
// subset of Java's DateTimeFormatter (Flink's TO_TIMESTAMP):
//   yyyy  4-digit year          yy  2-digit year (parsed as 2000..2099)
//   MM M  month 01-12 / 1-12    dd d  day of month
//   HH H  hour 00-23            mm m  minute         ss s  second
//   S..SSSSSSSSS  fraction of a second with exactly that many digits
//   X, XX, XXX    UTC offset: parses Z, +HH, +HHmm or +HH:mm; formats 'Z'
//   'text'  literal text ('' is a quote); any other non-letter is literal.
// Any other ASCII letter is reserved and makes the pattern invalid (as in
// Java: write 'T' quoted, e.g. yyyy-MM-dd'T'HH:mm:ss).
#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "runtime/common/timestamp.h"
#include "stdlib/cache.h"
#include "stdlib/catalogue.h"
#include "stdlib/validation.h"

namespace pipec {

namespace {

constexpr auto I = TypeId::BigInt;
constexpr auto S = TypeId::String;
constexpr auto TS = TypeId::Timestamp;
constexpr auto IV = TypeId::Interval;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

// Year of a day number (days since 1970-01-01), without going through
// milliseconds (which could overflow for extreme days).
int64_t year_from_days(int64_t days) { return civil_from_days(days).year; }

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (x != y) return false;
  }
  return true;
}

// ------------------------------------------------------------------ the pattern language

struct FmtTok {
  enum Kind { Lit, Year4, Year2, Month, Day, Hour, Minute, Second, Fraction, Zone } kind;
  int width = 0;     // digits: 1 = one or two digits when parsing, unpadded when formatting
  std::string lit;
};

struct TimeFormat {
  std::vector<FmtTok> toks;
  std::string error;  // empty when valid
};

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::unique_ptr<TimeFormat> compile_format(std::string_view p) {
  auto f = std::make_unique<TimeFormat>();
  auto lit = [&](std::string_view s) {
    if (f->toks.empty() || f->toks.back().kind != FmtTok::Lit) f->toks.push_back({FmtTok::Lit, 0, {}});
    f->toks.back().lit.append(s);
  };
  auto fail = [&](std::string msg) {
    f->error = std::move(msg);
    f->toks.clear();
    return std::move(f);
  };
  if (p.size() > 256) return fail("pattern longer than 256 characters");
  for (size_t i = 0; i < p.size();) {
    char c = p[i];
    if (c == '\'') {
      if (i + 1 < p.size() && p[i + 1] == '\'') {
        lit("'");
        i += 2;
        continue;
      }
      size_t j = i + 1;
      std::string text;
      for (;;) {
        if (j >= p.size()) return fail("unterminated quote in pattern");
        if (p[j] == '\'') {
          if (j + 1 < p.size() && p[j + 1] == '\'') {
            text.push_back('\'');
            j += 2;
            continue;
          }
          break;
        }
        text.push_back(p[j++]);
      }
      lit(text);
      i = j + 1;
      continue;
    }
    if (!is_letter(c)) {
      lit(std::string_view(&c, 1));
      ++i;
      continue;
    }
    size_t j = i;
    while (j < p.size() && p[j] == c) ++j;
    int n = static_cast<int>(j - i);
    auto bad = [&] {
      return fail("unsupported pattern letters '" + std::string(p.substr(i, j - i)) +
                  "' (use yyyy yy MM dd HH mm ss S..SSSSSSSSS X, quote literal letters like 'T')");
    };
    FmtTok t{FmtTok::Lit, n, {}};
    switch (c) {
      case 'y':
        if (n == 4) t.kind = FmtTok::Year4;
        else if (n == 2) t.kind = FmtTok::Year2;
        else return bad();
        break;
      case 'M': t.kind = FmtTok::Month; break;
      case 'd': t.kind = FmtTok::Day; break;
      case 'H': t.kind = FmtTok::Hour; break;
      case 'm': t.kind = FmtTok::Minute; break;
      case 's': t.kind = FmtTok::Second; break;
      case 'S':
        if (n > 9) return bad();
        t.kind = FmtTok::Fraction;
        break;
      case 'X':
        if (n > 3) return bad();
        t.kind = FmtTok::Zone;
        break;
      default: return bad();
    }
    if ((t.kind == FmtTok::Month || t.kind == FmtTok::Day || t.kind == FmtTok::Hour || t.kind == FmtTok::Minute ||
         t.kind == FmtTok::Second) && n > 2)
      return bad();
    f->toks.push_back(std::move(t));
    i = j;
  }
  return f;
}

const TimeFormat* cached_format(FunctionContext& ctx, StringRef pattern) {
  return stdlib_detail::cached_compile<TimeFormat>(ctx, "stdlib.timefmt", pattern.view(), compile_format);
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// Reads `min`..`max` digits greedily.
bool read_num(std::string_view s, size_t& pos, int min, int max, int& v) {
  int n = 0;
  v = 0;
  while (n < max && pos < s.size() && digit(s[pos])) {
    v = v * 10 + (s[pos++] - '0');
    ++n;
  }
  return n >= min;
}

bool parse_with(const TimeFormat& f, std::string_view s, int64_t& out) {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  int64_t offset_ms = 0;
  size_t pos = 0;
  for (const FmtTok& t : f.toks) {
    int w1 = t.width == 1 ? 1 : t.width, w2 = t.width == 1 ? 2 : t.width;
    switch (t.kind) {
      case FmtTok::Lit:
        if (s.substr(pos, t.lit.size()) != t.lit) return false;
        pos += t.lit.size();
        break;
      case FmtTok::Year4:
        if (!read_num(s, pos, 4, 4, year)) return false;
        break;
      case FmtTok::Year2:
        if (!read_num(s, pos, 2, 2, year)) return false;
        year += 2000;
        break;
      case FmtTok::Month:
        if (!read_num(s, pos, w1, w2, month)) return false;
        break;
      case FmtTok::Day:
        if (!read_num(s, pos, w1, w2, day)) return false;
        break;
      case FmtTok::Hour:
        if (!read_num(s, pos, w1, w2, hour)) return false;
        break;
      case FmtTok::Minute:
        if (!read_num(s, pos, w1, w2, minute)) return false;
        break;
      case FmtTok::Second:
        if (!read_num(s, pos, w1, w2, second)) return false;
        break;
      case FmtTok::Fraction: {
        int v;
        if (!read_num(s, pos, t.width, t.width, v)) return false;
        for (int k = t.width; k < 3; ++k) v *= 10;
        for (int k = 3; k < t.width; ++k) v /= 10;  // truncate below milliseconds
        millis = v;
        break;
      }
      case FmtTok::Zone: {
        if (pos >= s.size()) return false;
        char z = s[pos];
        if (z == 'Z' || z == 'z') {
          ++pos;
          offset_ms = 0;
          break;
        }
        if (z != '+' && z != '-') return false;
        ++pos;
        int oh, om = 0;
        if (!read_num(s, pos, 2, 2, oh)) return false;
        if (pos < s.size() && s[pos] == ':') {
          ++pos;
          if (!read_num(s, pos, 2, 2, om)) return false;
        } else if (pos + 1 < s.size() && digit(s[pos]) && digit(s[pos + 1])) {
          read_num(s, pos, 2, 2, om);
        }
        if (oh > 23 || om > 59) return false;
        offset_ms = (oh * 3'600'000LL + om * 60'000LL) * (z == '+' ? 1 : -1);
        break;
      }
    }
  }
  if (pos != s.size()) return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 59)
    return false;
  out = days_from_civil(year, month, day) * kMillisPerDay + hour * 3'600'000LL + minute * 60'000LL +
        second * 1000LL + millis - offset_ms;
  return true;
}

void put_num(std::string& out, int64_t v, int width) {
  char buf[24];
  uint64_t mag = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  auto r = std::to_chars(buf, buf + sizeof buf, mag);
  if (v < 0) out.push_back('-');
  for (int n = static_cast<int>(r.ptr - buf); n < width; ++n) out.push_back('0');
  out.append(buf, r.ptr);
}

std::string format_with(const TimeFormat& f, int64_t ms) {
  CivilTime t = civil_from_millis(ms);
  std::string out;
  for (const FmtTok& k : f.toks) {
    switch (k.kind) {
      case FmtTok::Lit: out += k.lit; break;
      case FmtTok::Year4:
        if (t.year > 9999) out.push_back('+');  // ISO 8601 expanded year
        put_num(out, t.year, 4);
        break;
      case FmtTok::Year2: put_num(out, floor_mod(t.year, 100), 2); break;
      case FmtTok::Month: put_num(out, t.month, k.width); break;
      case FmtTok::Day: put_num(out, t.day, k.width); break;
      case FmtTok::Hour: put_num(out, t.hour, k.width); break;
      case FmtTok::Minute: put_num(out, t.minute, k.width); break;
      case FmtTok::Second: put_num(out, t.second, k.width); break;
      case FmtTok::Fraction: {
        char digits[9] = {char('0' + t.millis / 100), char('0' + t.millis / 10 % 10), char('0' + t.millis % 10),
                          '0', '0', '0', '0', '0', '0'};
        out.append(digits, static_cast<size_t>(k.width));
        break;
      }
      case FmtTok::Zone: out.push_back('Z'); break;
    }
  }
  return out;
}

// ------------------------------------------------------------------ functions

uint8_t now_thunk(FunctionContext* ctx, void* out, void* const*, const uint8_t*, uint32_t) {
  *static_cast<int64_t*>(out) = ctx->now_millis;
  return 1;
}

struct ToTimestampIso {
  static bool call(FunctionContext&, int64_t& out, StringRef s) {
    std::string_view why;
    return parse_iso8601_millis(s.view(), &out, &why);
  }
};
struct ToTimestampFormat {
  static bool call(FunctionContext& ctx, int64_t& out, StringRef s, StringRef pattern) {
    const TimeFormat* f = cached_format(ctx, pattern);
    return f->error.empty() && parse_with(*f, s.view(), out);
  }
};
struct Identity {
  static bool call(FunctionContext&, int64_t& out, int64_t x) {
    out = x;
    return true;
  }
};
struct EpochSeconds {
  static bool call(FunctionContext&, int64_t& out, int64_t ts) {
    out = floor_div(ts, 1000);
    return true;
  }
};
struct FromUnixtime {
  static bool call(FunctionContext&, int64_t& out, int64_t seconds) {
    return !__builtin_mul_overflow(seconds, int64_t{1000}, &out);
  }
};
struct DateAdd {
  static bool call(FunctionContext&, int64_t& out, int64_t ts, int64_t interval) {
    return !__builtin_add_overflow(ts, interval, &out);
  }
};
struct DateSub {
  static bool call(FunctionContext&, int64_t& out, int64_t ts, int64_t interval) {
    return !__builtin_sub_overflow(ts, interval, &out);
  }
};

enum class Unit { Millisecond, Second, Minute, Hour, Day, Week, Month, Quarter, Year,
                  Dow, Doy, IsoYear, Epoch, Invalid };

Unit parse_unit(std::string_view u) {
  static constexpr std::pair<std::string_view, Unit> kUnits[] = {
      {"millisecond", Unit::Millisecond}, {"second", Unit::Second}, {"minute", Unit::Minute},
      {"hour", Unit::Hour}, {"day", Unit::Day}, {"week", Unit::Week}, {"month", Unit::Month},
      {"quarter", Unit::Quarter}, {"year", Unit::Year}, {"dow", Unit::Dow}, {"isodow", Unit::Dow},
      {"doy", Unit::Doy}, {"isoyear", Unit::IsoYear}, {"epoch", Unit::Epoch}};
  for (const auto& [name, unit] : kUnits)
    if (ieq(u, name)) return unit;
  return Unit::Invalid;
}
bool is_trunc_unit(Unit u) { return u <= Unit::Year; }

bool mul_ms(int64_t units, int64_t ms_per_unit, int64_t& out) {
  return !__builtin_mul_overflow(units, ms_per_unit, &out);
}
bool from_days(int64_t days, int64_t& out) { return mul_ms(days, kMillisPerDay, out); }

// Monday-based weekday, 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday).
int64_t iso_weekday0(int64_t days) { return floor_mod(days + 3, 7); }

struct DateTrunc {
  static bool call(FunctionContext&, int64_t& out, StringRef unit, int64_t ts) {
    Unit u = parse_unit(unit.view());
    int64_t days = floor_div(ts, kMillisPerDay);
    switch (u) {
      case Unit::Millisecond: out = ts; return true;
      case Unit::Second: return mul_ms(floor_div(ts, 1000), 1000, out);
      case Unit::Minute: return mul_ms(floor_div(ts, 60'000), 60'000, out);
      case Unit::Hour: return mul_ms(floor_div(ts, 3'600'000), 3'600'000, out);
      case Unit::Day: return from_days(days, out);
      case Unit::Week: return from_days(days - iso_weekday0(days), out);
      case Unit::Month:
      case Unit::Quarter:
      case Unit::Year: {
        CivilTime t = civil_from_millis(ts);
        int m = u == Unit::Year ? 1 : u == Unit::Quarter ? (t.month - 1) / 3 * 3 + 1 : t.month;
        return from_days(days_from_civil(t.year, m, 1), out);
      }
      default: return false;
    }
  }
};

struct Extract {
  static bool call(FunctionContext&, int64_t& out, StringRef unit, int64_t ts) {
    Unit u = parse_unit(unit.view());
    CivilTime t = civil_from_millis(ts);
    int64_t days = floor_div(ts, kMillisPerDay);
    switch (u) {
      case Unit::Millisecond: out = t.millis; return true;
      case Unit::Second: out = t.second; return true;
      case Unit::Minute: out = t.minute; return true;
      case Unit::Hour: out = t.hour; return true;
      case Unit::Day: out = t.day; return true;
      case Unit::Month: out = t.month; return true;
      case Unit::Quarter: out = (t.month - 1) / 3 + 1; return true;
      case Unit::Year: out = t.year; return true;
      case Unit::Dow: out = iso_weekday0(days) + 1; return true;
      case Unit::Doy: out = days - days_from_civil(t.year, 1, 1) + 1; return true;
      case Unit::Week:
      case Unit::IsoYear: {
        // The ISO week belongs to the year of its Thursday.
        int64_t thursday = days - iso_weekday0(days) + 3;
        int64_t iso_year = year_from_days(thursday);
        out = u == Unit::IsoYear ? iso_year : (thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1;
        return true;
      }
      case Unit::Epoch: out = floor_div(ts, 1000); return true;
      default: return false;
    }
  }
};

struct FormatTimestamp {
  static bool call(FunctionContext& ctx, StringRef& out, int64_t ts, StringRef pattern) {
    const TimeFormat* f = cached_format(ctx, pattern);
    if (!f->error.empty()) return false;
    out = ctx.copy(format_with(*f, ts));
    return true;
  }
};

}  // namespace

bool stdlib_validate_timestamp_format(std::string_view format, std::string* error) {
  auto f = compile_format(format);
  if (f->error.empty()) return true;
  if (error) *error = f->error;
  return false;
}

bool stdlib_validate_time_unit(std::string_view unit, bool for_extract, std::string* error) {
  Unit u = parse_unit(unit);
  if (u != Unit::Invalid && (for_extract || is_trunc_unit(u))) return true;
  if (error)
    *error = for_extract ? "unknown unit (expected year, quarter, month, week, day, hour, minute, second, "
                           "millisecond, dow, isodow, doy, isoyear or epoch)"
                         : "unknown unit (expected year, quarter, month, week, day, hour, minute, second or "
                           "millisecond)";
  return false;
}

void register_time_functions(FunctionCatalogue& c) {
  const char* f = "time";
  c.add_raw("now", f, "the pipeline run's start time (one value per run)", NullHandling::Propagate, false,
            FunctionOverload{{}, false, TS, &now_thunk, {}});
  c.add_simple<ToTimestampIso, TS, S>("to_timestamp", f,
                                      "parses ISO-8601 text, or text in a pattern; a BIGINT is epoch milliseconds");
  c.add_simple<ToTimestampFormat, TS, S, S>("to_timestamp", f, "");
  c.add_simple<Identity, TS, I>("to_timestamp", f, "");
  c.add_simple<Identity, I, TS>("epoch_millis", f, "milliseconds since 1970-01-01T00:00:00Z");
  c.add_simple<EpochSeconds, I, TS>("epoch_seconds", f, "whole seconds since the epoch (floored)");
  c.add_simple<FromUnixtime, TS, I>("from_unixtime", f, "timestamp from epoch seconds; overflow is NULL");
  c.add_simple<DateTrunc, TS, S, TS>("date_trunc", f, "truncates to a unit (week starts on Monday)");
  c.add_simple<Extract, I, S, TS>("extract", f, "a field of the timestamp (dow is ISO: 1 = Monday)");
  c.add_simple<FormatTimestamp, S, TS, S>("format_timestamp", f, "formats in a pattern (UTC)");
  c.add_simple<DateAdd, TS, TS, IV>("date_add", f, "timestamp plus an interval; overflow is NULL");
  c.add_simple<DateSub, TS, TS, IV>("date_sub", f, "timestamp minus an interval; overflow is NULL");
}

}  // namespace pipec
