// Why a record did not become a row. Bad input never aborts decoding: each
// failing record yields one DecodeError and is left out of the batch.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/vector/source_position.h"

namespace pipec {

enum class DecodeErrorKind : uint8_t {
  MalformedJson,     // not well-formed JSON (incl. trailing content)
  NotAnObject,       // the top-level value is not an object
  TypeMismatch,      // a field's JSON kind does not convert to the column type
  Overflow,          // a number outside the column type's range
  InvalidValue,      // right JSON kind, unusable content (e.g. a bad timestamp)
  InvalidUtf8,       // the record is not valid UTF-8
  NotNullViolation,  // a NOT NULL column is missing or null
  RecordTooLarge,    // longer than DecodeOptions::max_record_size
  TooDeep,           // nesting beyond DecodeOptions::max_depth
};
inline constexpr size_t kDecodeErrorKinds = 9;

// snake_case name for metrics and logs: "malformed_json", "type_mismatch", ...
std::string_view decode_error_kind_name(DecodeErrorKind kind);

struct DecodeError {
  DecodeErrorKind kind;
  SourcePosition pos;
  std::string raw;     // the record's bytes, copied (without the line terminator)
  std::string reason;  // e.g. "field 'amount': expected DOUBLE, got string \"abc\""
};

struct DecodeErrors {
  std::vector<DecodeError> errors;
  std::array<uint64_t, kDecodeErrorKinds> counts{};

  uint64_t count(DecodeErrorKind kind) const { return counts[static_cast<size_t>(kind)]; }
  uint64_t total() const;
  void clear();
};

}  // namespace pipec
