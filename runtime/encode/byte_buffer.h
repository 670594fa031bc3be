// A growable output byte buffer with unchecked appends after an explicit
// reserve, for building _bulk bodies and dead-letter lines without the
// zero-fill and bounds bookkeeping of std::string.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace pipec {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
    return *this;
  }
  ~ByteBuffer() { std::free(data_); }

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_, size_}; }
  std::string str() const { return std::string(view()); }
  void clear() { size_ = 0; }
  // Drops bytes past `size` (e.g. a partially written row).
  void truncate(size_t size) { size_ = size < size_ ? size : size_; }

  // Ensures room for n more bytes.
  void reserve(size_t n) {
    if (capacity_ - size_ < n) grow(n);
  }
  // Room for n more bytes; write through the pointer, then commit(k <= n).
  char* ensure(size_t n) {
    reserve(n);
    return data_ + size_;
  }
  void commit(size_t n) { size_ += n; }

  void append(std::string_view s) {
    reserve(s.size());
    if (!s.empty()) std::memcpy(data_ + size_, s.data(), s.size());
    size_ += s.size();
  }
  void push_back(char c) {
    reserve(1);
    data_[size_++] = c;
  }
  // Unchecked variants: the caller has reserved the space.
  void append_unchecked(std::string_view s) {
    std::memcpy(data_ + size_, s.data(), s.size());
    size_ += s.size();
  }
  void push_back_unchecked(char c) { data_[size_++] = c; }

 private:
  void grow(size_t n) {
    size_t want = capacity_ ? capacity_ * 2 : 4096;
    while (want - size_ < n) want *= 2;
    void* p = std::realloc(data_, want);
    if (!p) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    capacity_ = want;
  }

  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace pipec
