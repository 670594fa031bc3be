#include <doctest/doctest.h>

#include <string>

#include "runtime/vector/batch.h"
#include "runtime/vector/string_arena.h"
#include "runtime/vector/vector.h"

using namespace pipec;

TEST_CASE("vector capacity rounds up to whole validity words and starts NULL") {
  Vector v(PhysicalType::Int64, 100);
  CHECK(v.capacity() == 128);
  CHECK(v.validity_words() == 2);
  CHECK(reinterpret_cast<uintptr_t>(v.raw_data()) % Vector::kAlignment == 0);
  for (uint32_t i = 0; i < v.capacity(); ++i) {
    CHECK_FALSE(v.is_valid(i));
    CHECK(v.data<int64_t>()[i] == 0);
  }
  Vector s(PhysicalType::String, 10);
  CHECK(s.data<StringRef>()[5].data != nullptr);
  CHECK(s.data<StringRef>()[5].size == 0);
}

TEST_CASE("validity bits are LSB-first per 64-row word") {
  Vector v(PhysicalType::Float64, 256);
  v.set_valid(0, true);
  v.set_valid(65, true);
  CHECK(v.validity()[0] == 1);
  CHECK(v.validity()[1] == 2);
  CHECK(v.is_valid(65));
  v.set_valid(65, false);
  CHECK_FALSE(v.is_valid(65));
  v.set_all_valid(70);
  CHECK(v.validity()[0] == ~uint64_t{0});
  CHECK(v.validity()[1] == 0x3F);
  CHECK(v.validity()[2] == 0);
  CHECK(v.count_valid(256) == 70);
  CHECK(v.count_valid(3) == 3);
  v.data<double>()[3] = 2.5;
  v.set_null(3);
  CHECK_FALSE(v.is_valid(3));
  CHECK(v.data<double>()[3] == 0.0);
  v.set_all_null();
  CHECK(v.count_valid(256) == 0);
}

TEST_CASE("string arena bumps, spills into new chunks, rewinds and resets") {
  StringArena arena(64);
  StringRef a = arena.copy("hello");
  CHECK(a.view() == "hello");
  CHECK(arena.copy("").data != nullptr);
  auto mark = arena.mark();
  StringRef big = arena.copy(std::string(200, 'x'));  // larger than a chunk
  CHECK(big.size == 200);
  StringRef after = arena.copy("world");
  CHECK(after.view() == "world");
  CHECK(a.view() == "hello");  // earlier strings stay put
  arena.rewind(mark);
  StringRef again = arena.copy("again");
  CHECK(again.data == a.data + 5);  // reused the rewound space
  CHECK(arena.bytes_used() == 10);
  arena.reset();
  CHECK(arena.bytes_used() == 0);
  CHECK(arena.bytes_reserved() == 128);  // the oversized chunk was released, two standard ones kept
  for (int i = 0; i < 100; ++i) arena.copy("0123456789");
  CHECK(arena.bytes_used() >= 1000);
}

TEST_CASE("batch allocates capacity-sized per-row arrays") {
  Batch b({PhysicalType::Int64, PhysicalType::String, PhysicalType::Bool}, 100);
  CHECK(b.columns.size() == 3);
  CHECK(b.capacity() == 100);
  CHECK(b.columns[0].capacity() == 128);
  CHECK(b.raw.size() == 100);
  CHECK(b.positions.size() == 100);
  CHECK(b.row_status.size() == 100);
  CHECK(b.row_reason.size() == 100);
  CHECK(b.size == 0);
  b.size = 3;
  b.row_status[1] = static_cast<uint8_t>(RowStatus::Filtered);
  CHECK(b.live_count() == 2);
  auto chunk = InputChunk::copy_of("{}\n");
  b.retain(chunk);
  b.retain(chunk);
  CHECK(b.inputs().size() == 1);
  b.reset();
  CHECK(b.size == 0);
  CHECK(b.inputs().empty());
  CHECK(Batch({}).capacity() == kDefaultBatchCapacity);
}

TEST_CASE("input chunks are zero-padded for in-place parsing") {
  auto chunk = InputChunk::copy_of("abc", 7, 42);
  CHECK(chunk->size() == 3);
  CHECK(chunk->padded_size() == 3 + InputChunk::kPadding);
  CHECK(chunk->source_file == 7);
  CHECK(chunk->first_line == 42);
  CHECK(chunk->partition == -1);
  for (size_t i = 3; i < chunk->padded_size(); ++i) CHECK(chunk->data()[i] == 0);
  auto raw = InputChunk::allocate(10);
  std::memcpy(raw->mutable_data(), "xy", 2);
  raw->set_size(2);
  CHECK(raw->view() == "xy");
  CHECK(raw->data()[2] == 0);
}
