#include "runtime/common/value.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace pipec {

namespace {
std::string format_timestamp_sql(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int64_t frac = ms - secs * 1000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}
}  // namespace

std::string Value::to_sql() const {
  if (is_null) return "NULL";
  switch (type) {
    case TypeId::Null: return "NULL";
    case TypeId::Boolean: return b ? "TRUE" : "FALSE";
    case TypeId::BigInt: return std::to_string(i);
    case TypeId::Double: {
      if (std::isnan(d)) return "CAST('NaN' AS DOUBLE)";
      if (std::isinf(d)) return d > 0 ? "CAST('Infinity' AS DOUBLE)" : "CAST('-Infinity' AS DOUBLE)";
      // Plain notation where it reads naturally (1000000.0, 0.001), shortest
      // round-trip digits either way.
      char buf[400];
      double mag = std::fabs(d);
      auto r = (mag >= 1e-4 && mag < 1e15) || d == 0 ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed)
                                                     : std::to_chars(buf, buf + sizeof buf, d);
      std::string out(buf, r.ptr);
      if (out.find_first_of(".eE") == std::string::npos) out += ".0";
      return out;
    }
    case TypeId::Timestamp: return "TIMESTAMP '" + format_timestamp_sql(i) + "'";
    case TypeId::Interval: return "INTERVAL '" + std::to_string(i) + "' MILLISECOND";
    case TypeId::String:
    case TypeId::Row:
    case TypeId::Array: {
      std::string out = "'";
      for (char c : s) {
        if (c == '\'') out += "''";
        else out.push_back(c);
      }
      return out + "'";
    }
  }
  return "?";
}

bool Value::identical(const Value& o) const {
  if (type != o.type || is_null != o.is_null) return false;
  if (is_null) return true;
  switch (type) {
    case TypeId::Boolean: return b == o.b;
    case TypeId::Double: return (std::isnan(d) && std::isnan(o.d)) || d == o.d;
    case TypeId::String:
    case TypeId::Row:
    case TypeId::Array: return s == o.s;
    default: return i == o.i;
  }
}

}  // namespace pipec
