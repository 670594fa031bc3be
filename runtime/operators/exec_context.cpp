#include "runtime/operators/exec_context.h"

#include <chrono>

namespace pipec {

std::string ExecContext::describe(const SourcePosition& pos) const {
  std::string where = pos.source_file < sources.size() ? sources[pos.source_file].path_or_topic : "?";
  if (pos.is_kafka()) return where + "[" + std::to_string(pos.partition) + "]@" + std::to_string(pos.line_or_offset);
  return where + ":" + std::to_string(pos.line_or_offset);
}

int64_t ExecContext::processing_time_ms() const {
  if (processing_clock) return processing_clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace pipec
