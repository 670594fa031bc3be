// Math functions. NaN in gives NaN out; a finite input whose result is not a
// finite number (sqrt(-1), ln(0), power(0, -1), exp(1000)) gives NULL, as does
// integer overflow (abs(-9223372036854775808)) and division by zero in mod.
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>
#include <system_error>

#include "stdlib/catalogue.h"

namespace pipec {

namespace {

constexpr auto I = TypeId::BigInt;
constexpr auto D = TypeId::Double;
constexpr auto S = TypeId::String;
constexpr auto T = TypeId::Timestamp;
constexpr int64_t kMinI = std::numeric_limits<int64_t>::min();

// NaN in -> NaN out; otherwise a finite result, else NULL.
bool finite_result(double in, double r, double& out) {
  if (std::isnan(in) || std::isfinite(r)) {
    out = r;
    return true;
  }
  return false;
}

struct AbsI {
  static bool call(FunctionContext&, int64_t& out, int64_t x) {
    if (x == kMinI) return false;
    out = x < 0 ? -x : x;
    return true;
  }
};
struct AbsD {
  static bool call(FunctionContext&, double& out, double x) {
    out = std::fabs(x);
    return true;
  }
};

// Rounds half away from zero at decimal place 10^-digits, working on the
// shortest decimal representation of x (the digits a user sees), so that
// round(2.675, 2) = 2.68 although the double nearest 2.675 is slightly below
// it. Never returns -0.0. False if the result overflows.
bool round_decimal(double x, int64_t digits, double& out) {
  if (!std::isfinite(x)) {
    out = x;
    return true;
  }
  if (x == 0 || digits > 400) {  // beyond 400 places every double is exact
    out = x == 0 ? 0.0 : x;
    return true;
  }
  char text[64];
  auto tr = std::to_chars(text, text + sizeof text, std::fabs(x), std::chars_format::scientific);
  const char* e_at = static_cast<const char*>(std::memchr(text, 'e', static_cast<size_t>(tr.ptr - text)));
  char mant[32];  // significant digits without the point: value = 0.d1d2.. * 10^(exp10+1)
  int nd = 0;
  for (const char* p = text; p < e_at; ++p)
    if (*p != '.') mant[nd++] = *p;
  int exp10 = 0;
  const char* es = e_at + 1;
  if (*es == '+') ++es;
  std::from_chars(es, tr.ptr, exp10);
  // Digit i has place value 10^(exp10 - i); keep those with place >= 10^-digits.
  int64_t keep = digits < -400 ? -1 : exp10 + digits + 1;
  if (keep >= nd) {
    out = x;
    return true;
  }
  double mag = 0;
  if (keep >= 0) {
    char buf[48];
    int n = static_cast<int>(keep);
    std::memcpy(buf, mant, static_cast<size_t>(n));
    int64_t scale = exp10 - keep + 1;  // place value exponent of the last kept digit
    if (mant[n] >= '5') {
      int i = n - 1;
      while (i >= 0 && buf[i] == '9') buf[i--] = '0';
      if (i >= 0) {
        ++buf[i];
      } else {  // 9.99 -> 10.0: shift in a leading 1
        std::memmove(buf + 1, buf, static_cast<size_t>(n));
        buf[0] = '1';
        ++n;
      }
    }
    if (n > 0) {
      buf[n++] = 'e';
      auto sr = std::to_chars(buf + n, buf + sizeof buf, scale);
      auto res = std::from_chars(buf, sr.ptr, mag);
      if (res.ec != std::errc() || !std::isfinite(mag)) return false;
    }
  }
  out = mag == 0 ? 0.0 : (std::signbit(x) ? -mag : mag);
  return true;
}

struct RoundD {
  static bool call(FunctionContext&, double& out, double x) {
    if (!std::isfinite(x)) {
      out = x;
      return true;
    }
    double r = std::round(x);
    out = r == 0 ? 0.0 : r;
    return true;
  }
};
struct RoundD2 {
  static bool call(FunctionContext&, double& out, double x, int64_t digits) { return round_decimal(x, digits, out); }
};
struct RoundI {
  static bool call(FunctionContext&, int64_t& out, int64_t x) {
    out = x;
    return true;
  }
};
// round(bigint, digits): digits >= 0 is the identity; negative digits round to
// tens, hundreds, ... half away from zero; overflow is NULL.
struct RoundI2 {
  static bool call(FunctionContext&, int64_t& out, int64_t x, int64_t digits) {
    if (digits >= 0) {
      out = x;
      return true;
    }
    if (digits < -19) {
      out = 0;
      return true;
    }
    if (digits == -19) {  // 10^19 does not fit: |x| rounds to 0 or overflows
      if (x >= 5'000'000'000'000'000'000LL || x <= -5'000'000'000'000'000'000LL) return false;
      out = 0;
      return true;
    }
    int64_t p = 1;
    for (int64_t k = 0; k < -digits; ++k) p *= 10;
    int64_t q = x / p, r = x % p;
    int64_t ar = r < 0 ? -r : r;
    if (ar >= p - ar) q += x < 0 ? -1 : 1;
    return !__builtin_mul_overflow(q, p, &out);
  }
};

template <double (*F)(double)>
struct DoubleOp {
  static bool call(FunctionContext&, double& out, double x) {
    out = F(x);
    return true;
  }
};
struct IdentityI {
  static bool call(FunctionContext&, int64_t& out, int64_t x) {
    out = x;
    return true;
  }
};

struct Sqrt {
  static bool call(FunctionContext&, double& out, double x) {
    if (x < 0) return false;
    out = std::sqrt(x);
    return true;
  }
};
struct Exp {
  static bool call(FunctionContext&, double& out, double x) { return finite_result(x, std::exp(x), out); }
};
template <double (*F)(double)>
struct Log {
  static bool call(FunctionContext&, double& out, double x) {
    if (x <= 0) return false;  // NaN compares false and passes through
    out = F(x);
    return true;
  }
};
// log(base, x)
struct LogBase {
  static bool call(FunctionContext&, double& out, double base, double x) {
    if (std::isnan(base) || std::isnan(x)) {
      out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (base <= 0 || base == 1 || x <= 0) return false;
    return finite_result(x, std::log(x) / std::log(base), out);
  }
};
struct Power {
  static bool call(FunctionContext&, double& out, double b, double e) {
    if (std::isnan(b) || std::isnan(e)) {
      out = std::pow(b, e);  // pow(1, NaN) = 1, pow(NaN, 0) = 1, else NaN
      return true;
    }
    double r = std::pow(b, e);
    if (std::isnan(r)) return false;  // negative base, fractional exponent
    if (std::isinf(r) && std::isfinite(b) && std::isfinite(e)) return false;
    out = r;
    return true;
  }
};

// mod: the remainder of truncating division (sign of the dividend), as in
// PostgreSQL and C. b = 0 is NULL.
struct ModI {
  static bool call(FunctionContext&, int64_t& out, int64_t a, int64_t b) {
    if (b == 0) return false;
    out = b == -1 ? 0 : a % b;  // INT64_MIN % -1 would trap
    return true;
  }
};
struct ModD {
  static bool call(FunctionContext&, double& out, double a, double b) {
    if (b == 0) return false;
    out = std::fmod(a, b);
    return true;
  }
};

struct SignI {
  static bool call(FunctionContext&, int64_t& out, int64_t x) {
    out = (x > 0) - (x < 0);
    return true;
  }
};
struct SignD {
  static bool call(FunctionContext&, double& out, double x) {
    out = std::isnan(x) ? x : static_cast<double>((x > 0) - (x < 0));
    return true;
  }
};

// least / greatest: NULL arguments are ignored (PostgreSQL); the result is
// NULL only if all are. Doubles order NaN above every number (PostgreSQL),
// strings compare bytewise (code point order for valid UTF-8).
template <typename P>
bool less(const P& a, const P& b) { return a < b; }
template <>
bool less<double>(const double& a, const double& b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}
template <>
bool less<StringRef>(const StringRef& a, const StringRef& b) { return a.view() < b.view(); }

template <TypeId Ty, bool Greatest>
uint8_t extreme_thunk(FunctionContext*, void* out, void* const* args, const uint8_t* valid, uint32_t n) {
  using P = Phys<Ty>;
  const P* best = nullptr;
  for (uint32_t i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    const P* v = static_cast<const P*>(args[i]);
    if (!best || (Greatest ? less<P>(*best, *v) : less<P>(*v, *best))) best = v;
  }
  if (!best) return 0;
  *static_cast<P*>(out) = *best;
  return 1;
}

template <TypeId Ty>
void register_extremes(FunctionCatalogue& c) {
  c.add_raw("least", "math", "smallest non-NULL argument (NULLs ignored; NaN is largest)", NullHandling::Custom, true,
            FunctionOverload{{Ty}, true, Ty, &extreme_thunk<Ty, false>, {}});
  c.add_raw("greatest", "math", "largest non-NULL argument (NULLs ignored; NaN is largest)", NullHandling::Custom,
            true, FunctionOverload{{Ty}, true, Ty, &extreme_thunk<Ty, true>, {}});
}

double dfloor(double x) { return std::floor(x); }
double dceil(double x) { return std::ceil(x); }
double dlog(double x) { return std::log(x); }
double dlog10(double x) { return std::log10(x); }
double dlog2(double x) { return std::log2(x); }

}  // namespace

void register_math_functions(FunctionCatalogue& c) {
  const char* f = "math";
  c.add_simple<AbsI, I, I>("abs", f, "absolute value; abs(-9223372036854775808) is NULL");
  c.add_simple<AbsD, D, D>("abs", f, "");
  c.add_simple<RoundI, I, I>("round", f, "rounds half away from zero, optionally to a number of decimal places");
  c.add_simple<RoundI2, I, I, I>("round", f, "");
  c.add_simple<RoundD, D, D>("round", f, "");
  c.add_simple<RoundD2, D, D, I>("round", f, "");
  c.add_simple<IdentityI, I, I>("floor", f, "largest integral value not greater than x");
  c.add_simple<DoubleOp<dfloor>, D, D>("floor", f, "");
  c.add_simple<IdentityI, I, I>("ceil", f, "smallest integral value not less than x");
  c.add_simple<DoubleOp<dceil>, D, D>("ceil", f, "");
  c.add_simple<Sqrt, D, D>("sqrt", f, "square root; negative x is NULL");
  c.add_simple<Exp, D, D>("exp", f, "e raised to x; overflow is NULL");
  c.add_simple<Log<dlog>, D, D>("ln", f, "natural logarithm; x <= 0 is NULL");
  c.add_simple<Log<dlog10>, D, D>("log10", f, "base-10 logarithm; x <= 0 is NULL");
  c.add_simple<Log<dlog2>, D, D>("log2", f, "base-2 logarithm; x <= 0 is NULL");
  c.add_simple<LogBase, D, D, D>("log", f, "logarithm of x to a base; base <= 0, base = 1 or x <= 0 is NULL");
  c.add_simple<Power, D, D, D>("power", f, "b raised to e; non-real or overflowing results are NULL");
  c.add_simple<Power, D, D, D>("pow", f, "alias of power");
  c.add_simple<ModI, I, I, I>("mod", f, "remainder with the sign of the dividend; b = 0 is NULL");
  c.add_simple<ModD, D, D, D>("mod", f, "");
  c.add_simple<SignI, I, I>("sign", f, "-1, 0 or 1 by the sign of x");
  c.add_simple<SignD, D, D>("sign", f, "");
  register_extremes<I>(c);
  register_extremes<D>(c);
  register_extremes<S>(c);
  register_extremes<T>(c);
}

}  // namespace pipec
