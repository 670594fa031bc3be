// Where a record came from, kept per row for dead letters, acknowledgements
// and position-derived document ids.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

namespace pipec {

// Field order is chosen for a padding-free 16-byte layout that compiled
// kernels can address directly.
struct SourcePosition {
  uint32_t source_file = 0;     // index into the pipeline's SourceDescriptor table
  int32_t partition = -1;       // -1 for files; the Kafka partition otherwise
  uint64_t line_or_offset = 0;  // files: 1-based line number; Kafka: message offset

  bool is_kafka() const { return partition >= 0; }
  friend bool operator==(const SourcePosition&, const SourcePosition&) = default;
};
static_assert(std::is_trivially_copyable_v<SourcePosition> && sizeof(SourcePosition) == 16);

// What a SourcePosition::source_file index names.
struct SourceDescriptor {
  std::string source_name;    // the pipeline's name for the source (e.g. "orders_in")
  std::string path_or_topic;  // file path, or Kafka topic
};

}  // namespace pipec
