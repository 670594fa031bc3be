// The one place every rejected record of a pipeline ends: decode errors
// (malformed JSON, type mismatch, missing NOT NULL field, invalid UTF-8,
// oversize records), DEAD LETTER and FAIL PIPELINE constraint violations, and
// rows the sink could not encode. One shape (dead_letter_encoder.h: error,
// constraint, pipeline, source position, raw record, time), one NDJSON file,
// counted per reason.
//
// The file is written only when there is something to write: a run without
// dead letters leaves no file behind, but an existing file from an earlier
// run is truncated at open() so the file always describes the latest run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/encode/byte_buffer.h"
#include "runtime/encode/dead_letter_encoder.h"
#include "runtime/sinks/file_writer.h"
#include "runtime/vector/source_position.h"

namespace pipec {

class DeadLetterQueue {
 public:
  // `path`: the NDJSON file. `sources` names the SourcePosition::source_file
  // indices of the pipeline's input.
  DeadLetterQueue(std::string pipeline, std::vector<SourceDescriptor> sources, std::string path);

  // Checks that the file can be written (creating missing directories) and
  // truncates one left by an earlier run. Throws RunError.
  void open();

  // One rejected record. `reason_key` is the counting bucket:
  // "constraint <name>", "decode <kind>", "sink".
  void add(std::string_view reason_key, std::string_view error, std::string_view constraint,
           std::string_view record, SourcePosition pos);

  // Writes buffered letters; throws RunError when the file cannot be written.
  void flush();
  void close();

  uint64_t total() const { return total_; }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  const std::string& path() const { return writer_.path(); }

  // Wall clock for the "time" field (replaceable in tests).
  std::function<int64_t()> clock;

 private:
  DeadLetterEncoder encoder_;
  FileWriter writer_;
  ByteBuffer buffer_;
  std::map<std::string, uint64_t> counts_;
  uint64_t total_ = 0;
};

// Current wall-clock time in epoch milliseconds.
int64_t wall_clock_millis();

}  // namespace pipec
