// Deterministic Elasticsearch document ids, so that re-delivering a record
// (after a crash or a retry) overwrites the same document instead of adding a
// duplicate.
//
// The id is stable across pipec versions, machines and endianness: changing
// any rule below is a breaking change that needs a new header version.
//
//   _id = lowercase hex (32 digits) of XXH3-128 (seed 0) over an encoding E,
//         written high 64 bits first (xxHash's canonical big-endian order).
//
//   E = header, then each value in order as  tag byte + payload:
//     header  "pipec-id-v1:key"  (id key declared) or "pipec-id-v1:pos" (no id key)
//     0x00 NULL        no payload (so NULL differs from "" and from 0)
//     0x01 BOOLEAN     1 byte, 0 or 1
//     0x02 BIGINT      8 bytes, little-endian two's complement
//     0x03 DOUBLE      8 bytes, little-endian IEEE-754 bits; -0.0 is written as
//                      +0.0 and every NaN as 0x7FF8000000000000
//     0x04 STRING      8-byte little-endian byte length, then the UTF-8 bytes
//     0x05 TIMESTAMP   8 bytes, little-endian epoch milliseconds
//     0x06 INTERVAL    8 bytes, little-endian milliseconds
//     0x07 JSON        (ROW/ARRAY text) 8-byte little-endian length, then the
//                      text exactly as carried (not re-canonicalised)
//
//   Length prefixes keep ("a","bc") apart from ("ab","c"); tags keep the
//   string "1" apart from the number 1.
//
//   Without an id key the values are: STRING source name, STRING file path or
//   Kafka topic, BIGINT partition (-1 for files), BIGINT line (1-based) or offset.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/common/types.h"
#include "runtime/encode/byte_buffer.h"
#include "runtime/vector/vector.h"

namespace pipec {

inline constexpr size_t kDocumentIdLength = 32;

class DocumentIdHasher {
 public:
  // The hot ones are inline: the _bulk encoder computes an id per document.
  void begin_key() { begin(kKeyHeader); }  // starts an id from declared key values
  void begin_position() { begin(kPositionHeader); }  // starts an id from a record's source position

  void add_null();
  void add_bool(bool v);
  void add_bigint(int64_t v) { add_fixed(kBigInt, static_cast<uint64_t>(v)); }
  void add_double(double v);
  void add_string(std::string_view v) { add_bytes(kString, v); }
  void add_timestamp(int64_t millis);
  void add_interval(int64_t millis);
  void add_json(std::string_view text);
  // Row `row` of `column`, tagged by logical `type` (NULL-aware).
  void add_value(const Vector& column, uint32_t row, TypeId type);

  // Writes the 32 hex digits of the id of everything added since begin_*().
  void finish(char* out) const;
  std::string finish() const;

  // The whole position-derived id in one call.
  static std::string for_position(std::string_view source_name, std::string_view path_or_topic,
                                  int32_t partition, uint64_t line_or_offset);

 private:
  static constexpr std::string_view kKeyHeader = "pipec-id-v1:key";
  static constexpr std::string_view kPositionHeader = "pipec-id-v1:pos";
  enum Tag : uint8_t { kNull, kBool, kBigInt, kDouble, kString, kTimestamp, kInterval, kJson };

  void begin(std::string_view header) {
    buf_.clear();
    buf_.append(header);
  }
  void add_fixed(uint8_t tag, uint64_t bits) {
    char* p = buf_.ensure(9);
    p[0] = static_cast<char>(tag);
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(p + 1, &bits, 8);
    } else {
      for (int i = 0; i < 8; ++i) p[1 + i] = static_cast<char>(bits >> (8 * i));
    }
    buf_.commit(9);
  }
  void add_bytes(uint8_t tag, std::string_view bytes) {
    add_fixed(tag, bytes.size());
    buf_.append(bytes);
  }

  ByteBuffer buf_;  // the encoding E; reused, so an id costs no allocation
};

}  // namespace pipec
