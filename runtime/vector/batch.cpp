#include "runtime/vector/batch.h"

#include <algorithm>

namespace pipec {

Batch::Batch(const std::vector<PhysicalType>& column_types, uint32_t capacity)
    : capacity_(capacity == 0 ? kDefaultBatchCapacity : capacity) {
  columns.reserve(column_types.size());
  for (PhysicalType t : column_types) columns.emplace_back(t, capacity_);
  raw.assign(capacity_, kEmptyStringRef);
  positions.assign(capacity_, SourcePosition{});
  row_status.assign(capacity_, static_cast<uint8_t>(RowStatus::Live));
  row_reason.assign(capacity_, 0);
}

uint32_t Batch::live_count() const {
  return static_cast<uint32_t>(std::count(row_status.begin(), row_status.begin() + size,
                                          static_cast<uint8_t>(RowStatus::Live)));
}

void Batch::reset() {
  size = 0;
  arena.reset();
  inputs_.clear();
}

}  // namespace pipec
