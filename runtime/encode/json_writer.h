// JSON value writers shared by the _bulk and dead-letter encoders.
#pragma once

#include <cstdint>
#include <string_view>

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
// inserted verbatim; INTERVAL is integer milliseconds.
void append_json_value(ByteBuffer& out, const Vector& column, uint32_t row, TypeId type,
                       bool raw_json = false);

// RFC 4648 base64 with padding.
void append_base64(ByteBuffer& out, std::string_view bytes);

}  // namespace pipec
