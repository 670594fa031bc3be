#include "runtime/vector/input_chunk.h"

#include <cassert>
#include <cstring>

namespace pipec {

std::shared_ptr<InputChunk> InputChunk::allocate(size_t size) {
  auto chunk = std::make_shared<InputChunk>();
  chunk->data_.reset(new char[size + kPadding]);
  chunk->size_ = chunk->capacity_ = size;
  std::memset(chunk->data_.get() + size, 0, kPadding);
  return chunk;
}

std::shared_ptr<InputChunk> InputChunk::copy_of(std::string_view bytes, uint32_t source_file,
                                                uint64_t first_line) {
  auto chunk = allocate(bytes.size());
  if (!bytes.empty()) std::memcpy(chunk->mutable_data(), bytes.data(), bytes.size());
  chunk->source_file = source_file;
  chunk->first_line = first_line;
  return chunk;
}

void InputChunk::set_size(size_t size) {
  assert(size <= capacity_);
  size_ = size;
  std::memset(data_.get() + size, 0, kPadding);
}

}  // namespace pipec
