// UTF-8 helpers shared by the string and privacy functions.
//
// Positions and lengths count code points. Functions must be total on invalid
// UTF-8 too, so "code point" is defined on bytes alone: a code point starts at
// byte 0 and at every byte that is not a continuation byte (10xxxxxx); it
// extends up to the next such start. For valid UTF-8 this is exactly the
// Unicode code point; stray bytes in invalid input simply attach to the code
// point before them (or form the first one). length(), substr(), reverse(),
// mask() and friends all use this one definition, so they agree on any input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/vector/string_ref.h"

namespace pipec::utf8 {

inline bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Byte offset of the code point after the one starting at `i` (i < n).
inline size_t next(const char* s, size_t n, size_t i) {
  ++i;
  while (i < n && is_continuation(s[i])) ++i;
  return i;
}

// Byte offset of the start of the code point that ends at `i` (0 < i <= n).
inline size_t prev(const char* s, size_t i) {
  --i;
  while (i > 0 && is_continuation(s[i])) --i;
  return i;
}

inline int64_t count(const char* s, size_t n) {
  if (n == 0) return 0;
  int64_t c = is_continuation(s[0]) ? 1 : 0;
  for (size_t i = 0; i < n; ++i) c += !is_continuation(s[i]);
  return c;
}
inline int64_t count(StringRef s) { return count(s.data, s.size); }

// Byte offset of code point k (0-based) counted from the start; n if the
// string has at most k code points. k <= 0 gives 0.
inline size_t offset_of(const char* s, size_t n, int64_t k) {
  size_t i = 0;
  while (k > 0 && i < n) {
    i = next(s, n, i);
    --k;
  }
  return i;
}

// Byte offset where the last k code points begin; 0 if there are at most k.
inline size_t offset_from_end(const char* s, size_t n, int64_t k) {
  size_t i = n;
  while (k > 0 && i > 0) {
    i = prev(s, i);
    --k;
  }
  return i;
}

}  // namespace pipec::utf8
