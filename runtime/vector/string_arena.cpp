#include "runtime/vector/string_arena.h"

#include <algorithm>

namespace pipec {

void StringArena::enter(size_t index) {
  current_ = index;
  cursor_ = chunks_[index].data.get();
  end_ = cursor_ + chunks_[index].size;
}

char* StringArena::allocate_slow(size_t n) {
  // Move on to the next retained chunk that is large enough, else make one.
  // Skipped (too small) chunks stay in place and are reused after reset().
  size_t next = chunks_.empty() || cursor_ == nullptr ? 0 : current_ + 1;
  while (next < chunks_.size() && chunks_[next].size < n) ++next;
  if (next >= chunks_.size()) {
    size_t size = std::max(chunk_size_, n);
    chunks_.push_back(Chunk{std::unique_ptr<char[]>(new char[size]), size});
    next = chunks_.size() - 1;
  }
  enter(next);
  char* p = cursor_;
  cursor_ += n;
  return p;
}

void StringArena::rewind(Mark m) {
  if (m.cursor == nullptr) {
    reset();
    return;
  }
  current_ = m.chunk;
  cursor_ = m.cursor;
  end_ = chunks_[current_].data.get() + chunks_[current_].size;
}

void StringArena::reset() {
  std::erase_if(chunks_, [&](const Chunk& c) { return c.size > chunk_size_; });
  current_ = 0;
  cursor_ = end_ = nullptr;
  if (!chunks_.empty()) enter(0);
}

size_t StringArena::bytes_used() const {
  if (cursor_ == nullptr) return 0;
  size_t used = 0;
  for (size_t i = 0; i < current_; ++i) used += chunks_[i].size;
  return used + static_cast<size_t>(cursor_ - chunks_[current_].data.get());
}

size_t StringArena::bytes_reserved() const {
  size_t total = 0;
  for (const auto& c : chunks_) total += c.size;
  return total;
}

}  // namespace pipec
