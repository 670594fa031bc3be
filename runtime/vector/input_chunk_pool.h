// Hands out input chunks whose buffers are reused once the last batch holding
// a chunk releases it (on any thread), so a reader that allocates a chunk per
// read does not fault in and clear fresh pages every time.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/vector/input_chunk.h"

namespace pipec {

class InputChunkPool {
 public:
  // Keeps at most `max_idle` released chunks; more are freed.
  explicit InputChunkPool(size_t max_idle = 8);

  // Like InputChunk::allocate, reusing a released chunk of at least `size`
  // bytes when there is one.
  std::shared_ptr<InputChunk> allocate(size_t size);

 private:
  struct Idle {
    std::mutex mutex;
    std::vector<std::pair<std::shared_ptr<InputChunk>, size_t>> chunks;  // chunk, capacity
    size_t max_idle = 0;
  };
  // Shared with the chunks handed out, which may outlive the pool.
  std::shared_ptr<Idle> idle_;
};

}  // namespace pipec
