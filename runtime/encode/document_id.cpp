#include "runtime/encode/document_id.h"

#include <bit>
#include <cmath>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Inlined: ids hash ~40 bytes each, where the shared library's dispatch and
// call cost as much as the hashing.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace pipec {

void DocumentIdHasher::add_null() { buf_.push_back(static_cast<char>(kNull)); }

void DocumentIdHasher::add_bool(bool v) {
  buf_.push_back(static_cast<char>(kBool));
  buf_.push_back(v ? 1 : 0);
}


void DocumentIdHasher::add_double(double v) {
  uint64_t bits = std::isnan(v) ? 0x7FF8000000000000ULL : std::bit_cast<uint64_t>(v == 0.0 ? 0.0 : v);
  add_fixed(kDouble, bits);
}

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

#if defined(__SSE2__)

void DocumentIdHasher::finish(char* out) const {
  // xxHash's canonical order (high 64 bits first, each big-endian), made in
  // registers: one nibble per byte, then '0'-'9' / 'a'-'f', 16 digits at once.
  const XXH128_hash_t hash = XXH3_128bits(buf_.data(), buf_.size());
  const __m128i bytes = _mm_set_epi64x(static_cast<int64_t>(__builtin_bswap64(hash.low64)),
                                       static_cast<int64_t>(__builtin_bswap64(hash.high64)));
  const __m128i nibble = _mm_set1_epi8(0x0F);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble), low = _mm_and_si128(bytes, nibble);
  auto digits = [](__m128i n) {
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(n, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
    return _mm_add_epi8(n, _mm_add_epi8(_mm_set1_epi8('0'), letter));
  };
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), digits(_mm_unpacklo_epi8(high, low)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), digits(_mm_unpackhi_epi8(high, low)));
}

#else

void DocumentIdHasher::finish(char* out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(buf_.data(), buf_.size()));
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = kHex[canonical.digest[i] >> 4];
    out[2 * i + 1] = kHex[canonical.digest[i] & 15];
  }
}

#endif

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
