// A chunked bump allocator for the string bytes of one batch.
//
// Strings produced while decoding or evaluating a batch all die together when
// the batch is reset, so allocation is a pointer bump and freeing is O(chunks).
// Chunks are kept across reset() so a steady-state pipeline stops allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/vector/string_ref.h"

namespace pipec {

class StringArena {
 public:
  static constexpr size_t kDefaultChunkSize = 64 * 1024;

  explicit StringArena(size_t chunk_size = kDefaultChunkSize) : chunk_size_(chunk_size) {}
  StringArena(StringArena&&) noexcept = default;
  StringArena& operator=(StringArena&&) noexcept = default;

  // Uninitialized, unaligned storage for n bytes; valid until reset()/rewind().
  char* allocate(size_t n) {
    if (n <= static_cast<size_t>(end_ - cursor_)) {
      char* p = cursor_;
      cursor_ += n;
      return p;
    }
    return allocate_slow(n);
  }

  StringRef copy(std::string_view s) {
    if (s.empty()) return kEmptyStringRef;
    char* p = allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return StringRef{p, static_cast<uint32_t>(s.size())};
  }

  // A position to roll back to, e.g. to discard the strings of a row that
  // turned out to be a dead letter.
  struct Mark {
    size_t chunk;
    char* cursor;
  };
  Mark mark() const { return {current_, cursor_}; }
  void rewind(Mark m);

  // Forgets every allocation. Standard-size chunks are kept for reuse; the
  // oversized ones made for single huge strings are released.
  void reset();

  // Bytes handed out since the last reset (approximate after rewind()).
  size_t bytes_used() const;
  size_t bytes_reserved() const;

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  char* allocate_slow(size_t n);
  void enter(size_t index);

  size_t chunk_size_;
  std::vector<Chunk> chunks_;
  size_t current_ = 0;  // index of the chunk cursor_ points into (if any)
  char* cursor_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace pipec
