#include "runtime/encode/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "runtime/decode/utf8.h"
#include "runtime/common/timestamp.h"

namespace pipec {

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// True when any byte of w is < 0x20, '"' or '\\' (exact, SWAR).
inline bool word_needs_escape(uint64_t w) {
  uint64_t control = (w - kOnes * 0x20) & ~w & kHighs;
  uint64_t q = w ^ (kOnes * '"');
  uint64_t b = w ^ (kOnes * '\\');
  uint64_t quote = (q - kOnes) & ~q & kHighs;
  uint64_t backslash = (b - kOnes) & ~b & kHighs;
  return (control | quote | backslash) != 0;
}

constexpr char kHex[] = "0123456789abcdef";

// Writes the escape for one byte that needs it; returns bytes written.
inline size_t escape_byte(unsigned char c, char* p) {
  p[0] = '\\';
  switch (c) {
    case '"': p[1] = '"'; return 2;
    case '\\': p[1] = '\\'; return 2;
    case '\b': p[1] = 'b'; return 2;
    case '\f': p[1] = 'f'; return 2;
    case '\n': p[1] = 'n'; return 2;
    case '\r': p[1] = 'r'; return 2;
    case '\t': p[1] = 't'; return 2;
    default:
      p[1] = 'u';
      p[2] = '0';
      p[3] = '0';
      p[4] = kHex[c >> 4];
      p[5] = kHex[c & 15];
      return 6;
  }
}

inline bool byte_needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Appends the escaped body (no quotes) of s.
void append_escaped(ByteBuffer& out, const char* s, size_t n) {
  // Clean strings are the common case: one reservation, word-at-a-time copy.
  char* p = out.ensure(n);
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, s + i, 8);
    if (word_needs_escape(w)) break;
    std::memcpy(p + i, &w, 8);
    i += 8;
  }
  while (i < n && !byte_needs_escape(static_cast<unsigned char>(s[i]))) p[i] = s[i], ++i;
  out.commit(i);
  if (i == n) return;
  // Slow path: at most 6 output bytes per remaining input byte.
  p = out.ensure((n - i) * 6);
  char* start = p;
  for (; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (byte_needs_escape(c)) p += escape_byte(c, p);
    else *p++ = static_cast<char>(c);
  }
  out.commit(static_cast<size_t>(p - start));
}

}  // namespace

void append_json_string(ByteBuffer& out, std::string_view s) {
  out.push_back('"');
  append_escaped(out, s.data(), s.size());
  out.push_back('"');
}

void append_json_string_lossy(ByteBuffer& out, std::string_view s) {
  out.push_back('"');
  while (!s.empty()) {
    size_t bad = first_invalid_utf8(s);
    append_escaped(out, s.data(), bad);
    if (bad == s.size()) break;
    out.append("\xEF\xBF\xBD");  // U+FFFD for the offending byte
    s.remove_prefix(bad + 1);
  }
  out.push_back('"');
}

void append_json_int64(ByteBuffer& out, int64_t v) {
  char* p = out.ensure(20);
  out.commit(static_cast<size_t>(std::to_chars(p, p + 20, v).ptr - p));
}

void append_json_double(ByteBuffer& out, double v) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  char* p = out.ensure(32);
  char* end = std::to_chars(p, p + 30, v).ptr;
  // "3" would make Elasticsearch map the field as long; keep it a float.
  if (std::memchr(p, '.', static_cast<size_t>(end - p)) == nullptr &&
      std::memchr(p, 'e', static_cast<size_t>(end - p)) == nullptr) {
    *end++ = '.';
    *end++ = '0';
  }
  out.commit(static_cast<size_t>(end - p));
}

void append_json_bool(ByteBuffer& out, bool v) { out.append(v ? "true" : "false"); }

void append_json_timestamp(ByteBuffer& out, int64_t millis) {
  char* p = out.ensure(kMaxIso8601Length + 2);
  p[0] = '"';
  size_t n = format_iso8601_millis(millis, p + 1);
  p[n + 1] = '"';
  out.commit(n + 2);
}

void append_json_value(ByteBuffer& out, const Vector& column, uint32_t row, TypeId type,
                       bool raw_json) {
  if (!column.is_valid(row)) {
    out.append("null");
    return;
  }
  switch (type) {
    case TypeId::Null: out.append("null"); return;
    case TypeId::Boolean: append_json_bool(out, column.data<uint8_t>()[row] != 0); return;
    case TypeId::BigInt:
    case TypeId::Interval: append_json_int64(out, column.data<int64_t>()[row]); return;
    case TypeId::Double: append_json_double(out, column.data<double>()[row]); return;
    case TypeId::Timestamp: append_json_timestamp(out, column.data<int64_t>()[row]); return;
    case TypeId::String: {
      std::string_view s = column.data<StringRef>()[row].view();
      if (raw_json) out.append(s);
      else append_json_string(out, s);
      return;
    }
    case TypeId::Row:
    case TypeId::Array: out.append(column.data<StringRef>()[row].view()); return;
  }
}

void append_base64(ByteBuffer& out, std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  char* p = out.ensure((n + 2) / 3 * 4);
  char* start = p;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{s[i]} << 16) | (uint32_t{s[i + 1]} << 8) | s[i + 2];
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = kAlphabet[(v >> 6) & 63];
    *p++ = kAlphabet[v & 63];
  }
  if (i < n) {
    uint32_t v = uint32_t{s[i]} << 16;
    if (i + 1 < n) v |= uint32_t{s[i + 1]} << 8;
    *p++ = kAlphabet[v >> 18];
    *p++ = kAlphabet[(v >> 12) & 63];
    *p++ = i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    *p++ = '=';
  }
  out.commit(static_cast<size_t>(p - start));
}

}  // namespace pipec
