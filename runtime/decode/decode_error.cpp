#include "runtime/decode/decode_error.h"

namespace pipec {

std::string_view decode_error_kind_name(DecodeErrorKind kind) {
  switch (kind) {
    case DecodeErrorKind::MalformedJson: return "malformed_json";
    case DecodeErrorKind::NotAnObject: return "not_an_object";
    case DecodeErrorKind::TypeMismatch: return "type_mismatch";
    case DecodeErrorKind::Overflow: return "overflow";
    case DecodeErrorKind::InvalidValue: return "invalid_value";
    case DecodeErrorKind::InvalidUtf8: return "invalid_utf8";
    case DecodeErrorKind::NotNullViolation: return "not_null_violation";
    case DecodeErrorKind::RecordTooLarge: return "record_too_large";
    case DecodeErrorKind::TooDeep: return "too_deep";
  }
  return "unknown";
}

uint64_t DecodeErrors::total() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

void DecodeErrors::clear() {
  errors.clear();
  counts.fill(0);
}

}  // namespace pipec
