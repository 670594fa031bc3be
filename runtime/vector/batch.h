// A batch of rows in columnar form plus the per-row bookkeeping the runtime
// needs for filtering, dead letters and acknowledgements.
//
// All per-row arrays are plain, capacity-sized std::vectors so compiled kernels
// can take `.data()` and write them directly. Rows [0, size) exist; a row is
// emitted only while row_status[i] == RowStatus::Live.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/vector/input_chunk.h"
#include "runtime/vector/source_position.h"
#include "runtime/vector/string_arena.h"
#include "runtime/vector/vector.h"

namespace pipec {

inline constexpr uint32_t kDefaultBatchCapacity = 4096;

enum class RowStatus : uint8_t {
  Live = 0,
  Filtered = 1,      // dropped by a WHERE-style filter; acknowledged, not emitted
  DeadLettered = 2,  // failed a constraint or conversion; see row_reason
};

class Batch {
 public:
  explicit Batch(const std::vector<PhysicalType>& column_types,
                 uint32_t capacity = kDefaultBatchCapacity);
  Batch(Batch&&) noexcept = default;
  Batch& operator=(Batch&&) noexcept = default;

  std::vector<Vector> columns;
  uint32_t size = 0;
  StringArena arena;

  // Raw record bytes of each row, pointing into a retained input chunk.
  std::vector<StringRef> raw;
  std::vector<SourcePosition> positions;
  // A RowStatus value per row (uint8_t so kernels can store it directly).
  std::vector<uint8_t> row_status;
  // For dead-lettered rows: an index into the pipeline's reason table, whose
  // meaning the executor defines; 0 when unused.
  std::vector<uint16_t> row_reason;

  uint32_t capacity() const { return capacity_; }
  bool full() const { return size >= capacity_; }
  uint32_t live_count() const;

  // Keeps `chunk` alive as long as the batch holds rows pointing into it.
  void retain(const std::shared_ptr<const InputChunk>& chunk) {
    if (inputs_.empty() || inputs_.back() != chunk) inputs_.push_back(chunk);
  }
  const std::vector<std::shared_ptr<const InputChunk>>& inputs() const { return inputs_; }

  // Empties the batch for reuse: size 0, arena and retained chunks released.
  // Column contents are left as they are; writers overwrite every row they add.
  void reset();

 private:
  uint32_t capacity_;
  std::vector<std::shared_ptr<const InputChunk>> inputs_;
};

}  // namespace pipec
