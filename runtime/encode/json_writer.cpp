#include "runtime/encode/json_writer.h"

#include "runtime/decode/utf8.h"
#include "runtime/common/timestamp.h"

namespace pipec {

namespace w = json_unchecked;

char* json_unchecked::escaped_bytes(char* p, const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (byte_needs_escape(c)) p = escape_byte(c, p);
    else *p++ = static_cast<char>(c);
  }
  return p;
}

void append_json_string(ByteBuffer& out, std::string_view s) {
  char* p = out.ensure(s.size() * w::kMaxEscapedBytesPerByte + 2);
  out.commit(static_cast<size_t>(w::string(p, s) - p));
}

void append_json_string_lossy(ByteBuffer& out, std::string_view s) {
  out.push_back('"');
  while (!s.empty()) {
    size_t bad = first_invalid_utf8(s);
    char* p = out.ensure(bad * w::kMaxEscapedBytesPerByte);
    out.commit(static_cast<size_t>(w::escaped(p, s.data(), bad) - p));
    if (bad == s.size()) break;
    out.append("\xEF\xBF\xBD");  // U+FFFD for the offending byte
    s.remove_prefix(bad + 1);
  }
  out.push_back('"');
}

void append_json_int64(ByteBuffer& out, int64_t v) {
  char* p = out.ensure(w::kMaxInt64Bytes);
  out.commit(static_cast<size_t>(w::int64(p, v) - p));
}

void append_json_double(ByteBuffer& out, double v) {
  char* p = out.ensure(w::kMaxDoubleBytes);
  out.commit(static_cast<size_t>(w::float64(p, v) - p));
}

void append_json_bool(ByteBuffer& out, bool v) { out.append(v ? "true" : "false"); }

void append_json_timestamp(ByteBuffer& out, int64_t millis) {
  char* p = out.ensure(w::kMaxTimestampBytes);
  p[0] = '"';
  size_t n = format_iso8601_millis(millis, p + 1);
  p[n + 1] = '"';
  out.commit(n + 2);
}

void append_json_value(ByteBuffer& out, const Vector& column, uint32_t row, TypeId type,
                       bool raw_json) {
  JsonColumnWriter writer(type, raw_json);
  char* p = out.ensure(writer.max_bytes(column, row));
  out.commit(static_cast<size_t>(writer.write(column, row, p) - p));
}

JsonColumnWriter::JsonColumnWriter(TypeId type, bool raw_json) {
  switch (type) {
    case TypeId::Null: kind_ = Kind::Null; break;
    case TypeId::Boolean: kind_ = Kind::Bool; break;
    case TypeId::BigInt:
    case TypeId::Interval: kind_ = Kind::BigInt; break;
    case TypeId::Double: kind_ = Kind::Double; break;
    case TypeId::Timestamp: kind_ = Kind::Timestamp; break;
    case TypeId::String: kind_ = raw_json ? Kind::Verbatim : Kind::String; break;
    case TypeId::Row:
    case TypeId::Array: kind_ = Kind::Verbatim; break;
  }
  constexpr size_t kNull = 4;
  switch (kind_) {
    case Kind::Null: fixed_bytes_ = kNull; break;
    case Kind::Bool: fixed_bytes_ = 5; break;
    case Kind::BigInt: fixed_bytes_ = w::kMaxInt64Bytes; break;
    case Kind::Double: fixed_bytes_ = w::kMaxDoubleBytes; break;
    case Kind::Timestamp: fixed_bytes_ = w::kMaxTimestampBytes; break;
    case Kind::String:
      has_text_ = true;
      fixed_bytes_ = kNull;  // >= the two quotes
      bytes_per_text_byte_ = w::kMaxEscapedBytesPerByte;
      break;
    case Kind::Verbatim:
      has_text_ = true;
      fixed_bytes_ = kNull;
      bytes_per_text_byte_ = 1;
      break;
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
