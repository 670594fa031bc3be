#include <doctest/doctest.h>

#include <cstring>
#include <thread>

#include "runtime/vector/input_chunk_pool.h"

using namespace pipec;

TEST_CASE("a released chunk's buffer is handed out again, reset") {
  InputChunkPool pool;
  auto a = pool.allocate(1000);
  const char* buffer = a->data();
  std::memset(a->mutable_data(), 'x', a->size());
  a->first_line = 7;
  a->source_file = 3;
  a->frames.push_back({0, 1, 2});

  auto b = pool.allocate(1000);  // a is still held: a fresh buffer
  CHECK(b->data() != buffer);

  std::thread([a = std::move(a)]() mutable { a.reset(); }).join();  // released by another thread
  auto c = pool.allocate(900);
  CHECK(c->data() == buffer);
  CHECK(c->size() == 900);
  CHECK(c->first_line == 1);
  CHECK(c->source_file == 0);
  CHECK(c->partition == -1);
  CHECK(c->frames.empty());
  for (size_t i = 0; i < InputChunk::kPadding; ++i) CHECK(c->data()[c->size() + i] == 0);
}

TEST_CASE("a request larger than every released chunk gets a new one; the pool keeps at most max_idle") {
  InputChunkPool pool(1);
  auto small = pool.allocate(10);
  const char* small_buffer = small->data();
  small.reset();
  auto big = pool.allocate(1 << 20);
  CHECK(big->data() != small_buffer);
  CHECK(big->size() == size_t{1} << 20);

  auto x = pool.allocate(10);  // reuses the small one
  CHECK(x->data() == small_buffer);
  const char* big_buffer = big->data();
  big.reset();
  x.reset();  // the pool already holds one: x's buffer is freed
  auto y = pool.allocate(10);
  CHECK(y->data() == big_buffer);
}

TEST_CASE("chunks outlive their pool") {
  std::shared_ptr<InputChunk> chunk;
  {
    InputChunkPool pool;
    chunk = pool.allocate(100);
  }
  std::memset(chunk->mutable_data(), 'a', chunk->size());
  chunk.reset();
}
