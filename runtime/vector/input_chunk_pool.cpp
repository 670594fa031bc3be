#include "runtime/vector/input_chunk_pool.h"

#include <algorithm>

namespace pipec {

InputChunkPool::InputChunkPool(size_t max_idle) : idle_(std::make_shared<Idle>()) {
  idle_->max_idle = max_idle;
}

std::shared_ptr<InputChunk> InputChunkPool::allocate(size_t size) {
  std::shared_ptr<InputChunk> chunk;
  size_t capacity = 0;
  {
    std::lock_guard lock(idle_->mutex);
    auto& idle = idle_->chunks;
    auto fits = std::find_if(idle.begin(), idle.end(), [&](const auto& c) { return c.second >= size; });
    if (fits != idle.end()) {
      chunk = std::move(fits->first);
      capacity = fits->second;
      idle.erase(fits);
    }
  }
  if (chunk) {
    chunk->set_size(size);
    chunk->source_file = 0;
    chunk->first_line = 1;
    chunk->partition = -1;
    chunk->frames.clear();
  } else {
    // Rounded up so that a slightly larger request (a longer partial line
    // carried over) still fits a released chunk.
    constexpr size_t kGranule = 64 * 1024;
    capacity = (size + kGranule - 1) / kGranule * kGranule;
    chunk = InputChunk::allocate(capacity);
    chunk->set_size(size);
  }
  // The caller's reference owns nothing: dropping its last copy hands the
  // chunk back.
  InputChunk* raw = chunk.get();
  return std::shared_ptr<InputChunk>(raw, [idle = idle_, chunk = std::move(chunk), capacity](InputChunk*) mutable {
    std::lock_guard lock(idle->mutex);
    if (idle->chunks.size() < idle->max_idle) idle->chunks.emplace_back(std::move(chunk), capacity);
  });
}

}  // namespace pipec
