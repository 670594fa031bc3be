// A block of raw input bytes, padded so simdjson can parse records in place.
//
// Sources read whole records into chunks (newline-delimited lines for files;
// explicitly framed messages for Kafka). Decoded batches point into the chunk
// (raw record bytes, zero-copy strings) and keep it alive with a shared_ptr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace pipec {

class InputChunk {
 public:
  // Readable zero bytes after size(); at least simdjson's SIMDJSON_PADDING
  // (checked by a static_assert in the decoder).
  static constexpr size_t kPadding = 64;

  // An uninitialized chunk of `size` bytes for a reader to fill in place.
  static std::shared_ptr<InputChunk> allocate(size_t size);
  static std::shared_ptr<InputChunk> copy_of(std::string_view bytes, uint32_t source_file = 0,
                                             uint64_t first_line = 1);

  char* mutable_data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  // Bytes readable from data(): size() + kPadding.
  size_t padded_size() const { return size_ + kPadding; }
  std::string_view view() const { return {data_.get(), size_}; }
  // Shrinks the logical size (e.g. after a short read) and re-zeroes padding.
  void set_size(size_t size);

  // Where the bytes came from (index into the pipeline's source table).
  uint32_t source_file = 0;
  // Newline framing (frames empty): 1-based line number of the first line.
  uint64_t first_line = 1;
  // -1 for files; the Kafka partition otherwise.
  int32_t partition = -1;

  // Explicit framing (Kafka): when non-empty, each frame is one record and
  // newline splitting is not used; `offset` becomes the row's line_or_offset.
  struct Frame {
    uint64_t begin;
    uint32_t size;
    uint64_t offset;
  };
  std::vector<Frame> frames;

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace pipec
