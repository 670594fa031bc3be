// A non-owning view of string bytes as stored in a String column.
//
// Deliberately a plain {pointer, 32-bit length} pair rather than
// std::string_view: it is trivially copyable, 16 bytes, and has the same layout
// as the LLVM struct {ptr, i32} that JIT-compiled kernels read and write. The
// bytes live in a Batch's StringArena or in an input chunk the Batch retains.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace pipec {

struct StringRef {
  const char* data;
  uint32_t size;

  std::string_view view() const { return {data, size}; }
  bool empty() const { return size == 0; }

  // Caller guarantees s.size() fits in 32 bits (records are far smaller).
  static StringRef of(std::string_view s) {
    return StringRef{s.data(), static_cast<uint32_t>(s.size())};
  }

  friend bool operator==(StringRef a, StringRef b) {
    return a.size == b.size && (a.size == 0 || std::memcmp(a.data, b.data, a.size) == 0);
  }
};

static_assert(std::is_trivially_copyable_v<StringRef>);
static_assert(std::is_standard_layout_v<StringRef>);
static_assert(sizeof(StringRef) == 16 && offsetof(StringRef, size) == 8);

// The value stored in NULL and freshly cleared String slots, so kernels that
// read a slot without checking validity still see a well-formed empty string.
inline constexpr StringRef kEmptyStringRef{"", 0};

}  // namespace pipec
