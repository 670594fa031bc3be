#include "runtime/encode/document_id.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include <xxhash.h>

namespace pipec {

namespace {
constexpr std::string_view kKeyHeader = "pipec-id-v1:key";
constexpr std::string_view kPositionHeader = "pipec-id-v1:pos";
enum Tag : uint8_t { kNull, kBool, kBigInt, kDouble, kString, kTimestamp, kInterval, kJson };
}  // namespace

void DocumentIdHasher::begin_key() {
  buf_.clear();
  buf_.append(kKeyHeader);
}
void DocumentIdHasher::begin_position() {
  buf_.clear();
  buf_.append(kPositionHeader);
}

void DocumentIdHasher::add_fixed(uint8_t tag, uint64_t bits) {
  char* p = buf_.ensure(9);
  p[0] = static_cast<char>(tag);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p + 1, &bits, 8);
  } else {
    for (int i = 0; i < 8; ++i) p[1 + i] = static_cast<char>(bits >> (8 * i));
  }
  buf_.commit(9);
}

void DocumentIdHasher::add_bytes(uint8_t tag, std::string_view bytes) {
  add_fixed(tag, bytes.size());
  buf_.append(bytes);
}

void DocumentIdHasher::add_null() { buf_.push_back(static_cast<char>(kNull)); }

void DocumentIdHasher::add_bool(bool v) {
  buf_.push_back(static_cast<char>(kBool));
  buf_.push_back(v ? 1 : 0);
}

void DocumentIdHasher::add_bigint(int64_t v) { add_fixed(kBigInt, static_cast<uint64_t>(v)); }

void DocumentIdHasher::add_double(double v) {
  uint64_t bits = std::isnan(v) ? 0x7FF8000000000000ULL : std::bit_cast<uint64_t>(v == 0.0 ? 0.0 : v);
  add_fixed(kDouble, bits);
}

void DocumentIdHasher::add_string(std::string_view v) { add_bytes(kString, v); }
void DocumentIdHasher::add_timestamp(int64_t millis) { add_fixed(kTimestamp, static_cast<uint64_t>(millis)); }
void DocumentIdHasher::add_interval(int64_t millis) { add_fixed(kInterval, static_cast<uint64_t>(millis)); }
void DocumentIdHasher::add_json(std::string_view text) { add_bytes(kJson, text); }

void DocumentIdHasher::add_value(const Vector& column, uint32_t row, TypeId type) {
  if (!column.is_valid(row)) return add_null();
  switch (type) {
    case TypeId::Null: return add_null();
    case TypeId::Boolean: return add_bool(column.data<uint8_t>()[row] != 0);
    case TypeId::BigInt: return add_bigint(column.data<int64_t>()[row]);
    case TypeId::Double: return add_double(column.data<double>()[row]);
    case TypeId::String: return add_string(column.data<StringRef>()[row].view());
    case TypeId::Timestamp: return add_timestamp(column.data<int64_t>()[row]);
    case TypeId::Interval: return add_interval(column.data<int64_t>()[row]);
    case TypeId::Row:
    case TypeId::Array: return add_json(column.data<StringRef>()[row].view());
  }
}

namespace {
// The two hex digits of every byte value.
constexpr std::array<char, 512> kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int b = 0; b < 256; ++b) {
    t[2 * b] = kHex[b >> 4];
    t[2 * b + 1] = kHex[b & 15];
  }
  return t;
}();
}  // namespace

void DocumentIdHasher::finish(char* out) const {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(buf_.data(), buf_.size()));
  for (int i = 0; i < 16; ++i) std::memcpy(out + 2 * i, &kHexPairs[2 * canonical.digest[i]], 2);
}

std::string DocumentIdHasher::finish() const {
  std::string id(kDocumentIdLength, '0');
  finish(id.data());
  return id;
}

std::string DocumentIdHasher::for_position(std::string_view source_name,
                                           std::string_view path_or_topic, int32_t partition,
                                           uint64_t line_or_offset) {
  DocumentIdHasher h;
  h.begin_position();
  h.add_string(source_name);
  h.add_string(path_or_topic);
  h.add_bigint(partition);
  h.add_bigint(static_cast<int64_t>(line_or_offset));
  return h.finish();
}

}  // namespace pipec
