// JSON value writers shared by the _bulk and dead-letter encoders.
//
// Two layers: the append_json_* functions write one value into a ByteBuffer
// (checked, for dead letters and one-off values); the unchecked writers in
// `json_unchecked` write through a raw pointer into room the caller reserved,
// and are inline so that the _bulk encoder's row loop compiles to straight
// stores (its 17-field pass-through rows spent a fifth of their CPU in the
// per-value calls and type switch of append_json_value).
#pragma once

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "runtime/common/timestamp.h"
#include "runtime/common/types.h"
#include "runtime/encode/byte_buffer.h"
#include "runtime/vector/vector.h"

namespace pipec {

// A quoted JSON string. Escapes '"', '\\' and control characters (\b \f \n \r
// \t, otherwise \u00XX); other bytes are copied, so `s` must be valid UTF-8
// (decoded strings are). Runs of clean bytes are copied 8 at a time.
void append_json_string(ByteBuffer& out, std::string_view s);

// As append_json_string, for text not known to be valid UTF-8 (file paths,
// messages): each byte of an invalid sequence becomes U+FFFD. Lossy by design;
// use base64 where bytes must survive exactly.
void append_json_string_lossy(ByteBuffer& out, std::string_view s);

void append_json_int64(ByteBuffer& out, int64_t v);

// Shortest round-trip form (std::to_chars). Integral values keep a ".0" so
// Elasticsearch's dynamic mapping sees a float; NaN and infinities (not JSON)
// are written as null.
void append_json_double(ByteBuffer& out, double v);

void append_json_bool(ByteBuffer& out, bool v);

// "2024-01-02T03:04:05.678Z" (quoted, UTC, always milliseconds).
void append_json_timestamp(ByteBuffer& out, int64_t millis);

// Row `row` of `column` as a JSON value of logical type `type`: null when
// NULL; ROW/ARRAY (and `raw_json` STRING) columns hold JSON text that is
// inserted verbatim; INTERVAL is integer milliseconds. One value; encoders of
// whole batches use JsonColumnWriter.
void append_json_value(ByteBuffer& out, const Vector& column, uint32_t row, TypeId type,
                       bool raw_json = false);

// RFC 4648 base64 with padding.
void append_base64(ByteBuffer& out, std::string_view bytes);

namespace json_unchecked {

// Largest output of each writer (escaped strings: kMaxEscapedBytesPerByte per
// input byte, plus quotes).
inline constexpr size_t kMaxInt64Bytes = 20;
inline constexpr size_t kMaxDoubleBytes = 32;  // to_chars needs at most 24, plus ".0"
inline constexpr size_t kMaxTimestampBytes = kMaxIso8601Length + 2;
inline constexpr size_t kMaxEscapedBytesPerByte = 6;  // \u00XX

// Words are assembled from bytes in memory order (short strings, tails).
static_assert(std::endian::native == std::endian::little, "json_unchecked assumes little-endian words");

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighs = 0x8080808080808080ULL;

// True when any byte of w is < 0x20, '"' or '\\' (exact, SWAR).
inline bool word_needs_escape(uint64_t w) {
  uint64_t control = (w - kOnes * 0x20) & ~w & kHighs;
  uint64_t q = w ^ (kOnes * '"');
  uint64_t b = w ^ (kOnes * '\\');
  uint64_t quote = (q - kOnes) & ~q & kHighs;
  uint64_t backslash = (b - kOnes) & ~b & kHighs;
  return (control | quote | backslash) != 0;
}

inline constexpr struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
  }
} kEscapeTable;

inline bool byte_needs_escape(unsigned char c) { return kEscapeTable.needs[c]; }

// The escape of one byte that needs it; returns the end.
inline char* escape_byte(unsigned char c, char* p) {
  static constexpr char kHex[] = "0123456789abcdef";
  p[0] = '\\';
  switch (c) {
    case '"': p[1] = '"'; return p + 2;
    case '\\': p[1] = '\\'; return p + 2;
    case '\b': p[1] = 'b'; return p + 2;
    case '\f': p[1] = 'f'; return p + 2;
    case '\n': p[1] = 'n'; return p + 2;
    case '\r': p[1] = 'r'; return p + 2;
    case '\t': p[1] = 't'; return p + 2;
    default:
      p[1] = 'u';
      p[2] = '0';
      p[3] = '0';
      p[4] = kHex[c >> 4];
      p[5] = kHex[c & 15];
      return p + 6;
  }
}

// escaped() byte by byte: the slow path, for text with a byte to escape
// (out of line, so that escaped() stays small enough to inline).
char* escaped_bytes(char* p, const char* s, size_t n);

// The escaped body (no quotes) of s[0, n); room: n * kMaxEscapedBytesPerByte.
// Clean words are copied 8 bytes at a time; a word with an escape is done
// byte by byte and the word loop resumes after it. Short strings and the
// tail are one word too (overlapping bytes already copied, or assembled from
// overlapping loads), so clean text takes no loop per byte.
inline char* escaped(char* p, const char* s, size_t n) {
  constexpr uint64_t kSpaces = kOnes * ' ';  // fills the bytes past a short string: clean
  if (n < 8) {
    if (n == 0) return p;
    uint64_t w;
    if (n >= 4) {
      uint32_t head, tail;
      std::memcpy(&head, s, 4);
      std::memcpy(&tail, s + n - 4, 4);
      w = head | uint64_t{tail} << (8 * (n - 4));
    } else {
      w = uint64_t{static_cast<unsigned char>(s[0])} | uint64_t{static_cast<unsigned char>(s[n / 2])} << 8 |
          uint64_t{static_cast<unsigned char>(s[n - 1])} << 16;
    }
    if (word_needs_escape(w | kSpaces << (8 * n))) return escaped_bytes(p, s, n);
    // Room is 6 * n bytes: 8 from n = 4 on, 4 below.
    if (n >= 4) std::memcpy(p, &w, 8);
    else std::memcpy(p, &w, 4);
    return p + n;
  }
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, s + i, 8);
    if (!word_needs_escape(w)) {
      std::memcpy(p, &w, 8);
      p += 8;
    } else {
      p = escaped_bytes(p, s + i, 8);
    }
    i += 8;
  }
  if (i == n) return p;
  // The last 8 bytes: when clean, the ones before i were clean too and are
  // the last ones written, so the word is stored over them.
  uint64_t w;
  std::memcpy(&w, s + n - 8, 8);
  if (word_needs_escape(w)) return escaped_bytes(p, s + i, n - i);
  std::memcpy(p - (i - (n - 8)), &w, 8);
  return p + (n - i);
}

inline char* string(char* p, std::string_view s) {
  *p++ = '"';
  p = escaped(p, s.data(), s.size());
  *p++ = '"';
  return p;
}

inline char* literal(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

inline char* int64(char* p, int64_t v) { return std::to_chars(p, p + kMaxInt64Bytes, v).ptr; }

// What std::to_chars(p, end, v) writes (shortest round-trip digits, fixed
// notation unless scientific is shorter), for the common doubles that are
// short decimals (prices, measurements) with 0.001 <= |v| < 2^49, at a tenth
// of Ryu's cost; nullptr leaves v to std::to_chars. Exact, not a heuristic:
// the shortest form of v has the fewest decimals k whose multiples of 10^-k
// reach v's rounding interval. Below 2^49 that interval, scaled by 10^k, is
// at most 1/4 wide, so it holds at most one integer m, and the rounded
// product v * 10^k rounds to m when it is there; m / 10^k (m and 10^k exact
// doubles, a correctly rounded division) equals v exactly when the text
// "m e-k" parses back to v. Fixed notation wins over scientific for every
// such value of at least 0.001 but for integers ending in zeros ("1e+05").
inline char* short_decimal(char* p, double v) {
  constexpr double kLimit = 0x1p49;
  // Up to 10^18: 0.001 * 10^18 > 2^49 ends the search below.
  static constexpr double kPowersOf10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                           1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
  const double a = std::fabs(v);
  if (!(a >= 0.001 && a < kLimit)) return nullptr;
  uint64_t m = static_cast<uint64_t>(a);
  int decimals = 0;
  if (static_cast<double>(m) != a) {
    for (decimals = 1;; ++decimals) {
      double x = a * kPowersOf10[decimals];
      if (x >= kLimit) return nullptr;
      m = static_cast<uint64_t>(x);
      if (x - static_cast<double>(m) >= 0.5) ++m;
      if (static_cast<double>(m) / kPowersOf10[decimals] == a) break;
    }
  }
  // The integer part of m / 10^k is a's: m / 10^k is no integer (k is
  // minimal) and lies within 1/8 of 10^-k of a.
  const uint64_t whole = static_cast<uint64_t>(a);
  if (v < 0) *p++ = '-';
  char* end = std::to_chars(p, p + 16, whole).ptr;
  if (decimals == 0) {
    // Scientific ("de+XX", "d.ddde+XX"; exponent < 100 here) wins with enough trailing zeros.
    int zeros = 0;
    for (uint64_t q = whole; q % 10 == 0; q /= 10) ++zeros;  // whole >= 1
    const int length = static_cast<int>(end - p), significant = length - zeros;
    if (length > significant + (significant > 1) + 4) return nullptr;
    return literal(end, ".0");  // keep it a float for Elasticsearch
  }
  static constexpr auto kIntPowersOf10 = [] {
    std::array<uint64_t, 18> t{};
    for (uint64_t i = 0, power = 1; i < t.size(); ++i, power *= 10) t[i] = power;
    return t;
  }();
  *end = '.';
  uint64_t fraction = m - whole * kIntPowersOf10[decimals];
  for (int i = decimals; i > 0; --i, fraction /= 10) end[i] = static_cast<char>('0' + fraction % 10);
  return end + 1 + decimals;
}

inline char* float64(char* p, double v) {
  if (!std::isfinite(v)) return literal(p, "null");
  if (char* end = short_decimal(p, v)) return end;
  char* end = std::to_chars(p, p + kMaxDoubleBytes - 2, v).ptr;
  // "3" would make Elasticsearch map the field as long; keep it a float.
  for (char* c = p; c < end; ++c)
    if (*c == '.' || *c == 'e') return end;
  end[0] = '.';
  end[1] = '0';
  return end + 2;
}

inline char* boolean(char* p, bool v) { return v ? literal(p, "true") : literal(p, "false"); }

inline char* timestamp(char* p, int64_t millis, Iso8601Formatter& formatter) {
  *p++ = '"';
  p += formatter.format(millis, p);
  *p++ = '"';
  return p;
}

}  // namespace json_unchecked

// Writes the values of one column as append_json_value does, with the writer
// chosen once per column instead of a type switch per value, and without
// bounds checks: the caller reserves max_bytes() (fixed_bytes() can be
// reserved once for a whole row) and writes through a raw pointer. Keeps the date of the last timestamp it wrote: one per thread.
class JsonColumnWriter {
 public:
  JsonColumnWriter(TypeId type, bool raw_json);

  // Upper bound of the bytes write() produces for row `row`: fixed_bytes()
  // plus, for text (STRING, ROW, ARRAY), text_bytes(): a multiple of the
  // text's length.
  size_t max_bytes(const Vector& column, uint32_t row) const { return fixed_bytes_ + text_bytes(column, row); }
  size_t fixed_bytes() const { return fixed_bytes_; }
  bool has_text() const { return has_text_; }
  size_t text_bytes(const Vector& column, uint32_t row) const {
    if (!has_text_ || !column.is_valid(row)) return 0;
    return size_t{column.data<StringRef>()[row].size} * bytes_per_text_byte_;
  }

  // Writes row `row` at p; returns the end.
  char* write(const Vector& column, uint32_t row, char* p) {
    namespace w = json_unchecked;
    if (!column.is_valid(row)) return w::literal(p, "null");
    switch (kind_) {
      case Kind::Null: return w::literal(p, "null");
      case Kind::Bool: return w::boolean(p, column.data<uint8_t>()[row] != 0);
      case Kind::BigInt: return w::int64(p, column.data<int64_t>()[row]);
      case Kind::Double: return w::float64(p, column.data<double>()[row]);
      case Kind::Timestamp: return w::timestamp(p, column.data<int64_t>()[row], timestamps_);
      case Kind::String: return w::string(p, column.data<StringRef>()[row].view());
      case Kind::Verbatim: return w::literal(p, column.data<StringRef>()[row].view());
    }
    return p;
  }

 private:
  enum class Kind : uint8_t { Null, Bool, BigInt, Double, Timestamp, String, Verbatim };

  Kind kind_;
  bool has_text_ = false;          // String/Verbatim: the bound grows with the text
  size_t fixed_bytes_ = 0;         // the bound without the text
  size_t bytes_per_text_byte_ = 0;
  Iso8601Formatter timestamps_;
};

}  // namespace pipec
