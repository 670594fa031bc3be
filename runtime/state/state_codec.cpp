#include "runtime/state/state_codec.h"

#include <cstring>

#include <fmt/format.h>

namespace pipec {

void StateWriter::fixed(uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void StateWriter::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  u64(bits);
}

void StateWriter::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  out_.append(s);
}

void StateWriter::value(const Value& v) {
  u8(static_cast<uint8_t>(v.type));
  u8(v.is_null);
  if (v.is_null) return;
  switch (v.type) {
    case TypeId::Boolean: u8(v.b); break;
    case TypeId::Double: f64(v.d); break;
    case TypeId::BigInt:
    case TypeId::Timestamp:
    case TypeId::Interval: i64(v.i); break;
    default: str(v.s); break;  // STRING, and ROW/ARRAY as JSON text
  }
}

std::string_view StateReader::take(size_t n) {
  if (n > remaining())
    throw StateFormatError(fmt::format("state ends after {} bytes, {} more expected", in_.size(), n - remaining()));
  std::string_view s = in_.substr(pos_, n);
  pos_ += n;
  return s;
}

uint64_t StateReader::fixed(int n) {
  std::string_view b = take(static_cast<size_t>(n));
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
  return v;
}

uint8_t StateReader::u8() { return static_cast<uint8_t>(take(1)[0]); }

double StateReader::f64() {
  uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::string StateReader::str() {
  uint32_t n = u32();
  return std::string(take(n));
}

uint64_t StateReader::count(size_t min_item_bytes) {
  uint64_t n = u64();
  if (min_item_bytes && n > remaining() / min_item_bytes)
    throw StateFormatError(fmt::format("state claims {} items but only {} bytes are left", n, remaining()));
  return n;
}

Value StateReader::value() {
  uint8_t type = u8();
  if (type > static_cast<uint8_t>(TypeId::Array)) throw StateFormatError(fmt::format("unknown value type {}", type));
  Value v = Value::null(static_cast<TypeId>(type));
  if (u8()) return v;
  v.is_null = false;
  switch (v.type) {
    case TypeId::Boolean: v.b = u8() != 0; break;
    case TypeId::Double: v.d = f64(); break;
    case TypeId::BigInt:
    case TypeId::Timestamp:
    case TypeId::Interval: v.i = i64(); break;
    default: v.s = str(); break;
  }
  return v;
}

}  // namespace pipec
