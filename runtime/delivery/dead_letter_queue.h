// The one place every rejected record of a pipeline ends: decode errors
// (malformed JSON, type mismatch, missing NOT NULL field, invalid UTF-8,
// oversize records, nesting too deep), DEAD LETTER and FAIL PIPELINE
// constraint violations, and rows the sink could not encode or store. One
// shape (dead_letter_encoder.h: error, constraint, pipeline, source position,
// raw record, time), counted per reason, stored by one DeadLetterOutput: an
// NDJSON file ('dead-letter.path') or a Kafka topic ('dead-letter.topic').
// docs/dead-letters.md describes both formats.
//
// Streaming sources: with set_holds(), every letter takes a hold on its
// source record, released by the output once the letter is durable, so the
// record's offset is not committed before (dead_letter_output.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/delivery/dead_letter_output.h"
#include "runtime/vector/source_position.h"

namespace pipec {

class DeadLetterQueue {
 public:
  explicit DeadLetterQueue(std::unique_ptr<DeadLetterOutput> output);
  // An NDJSON file at `path`. `sources` names the SourcePosition::source_file
  // indices of the pipeline's input.
  DeadLetterQueue(std::string pipeline, std::vector<SourceDescriptor> sources, std::string path);

  // `acquire` takes one more pending completion on the record at a position
  // (an invalid ticket when it is not tracked), `release` gives it back.
  void set_holds(std::function<Ticket(const SourcePosition&)> acquire, std::function<void(Ticket)> release);

  // Checks that letters can be stored. Throws RunError.
  void open();

  // One rejected record. `reason_key` is the counting bucket:
  // "constraint <name>", "decode <kind>", "sink", "late event".
  void add(std::string_view reason_key, std::string_view error, std::string_view constraint,
           std::string_view record, SourcePosition pos);

  // See DeadLetterOutput::flush / close; both throw RunError on failure.
  void flush();
  void close();

  uint64_t total() const { return total_; }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  // The file, or "kafka topic 'x'".
  std::string path() const { return output_->describe(); }

  // Wall clock for the "time" field (replaceable in tests).
  std::function<int64_t()> clock;

 private:
  std::unique_ptr<DeadLetterOutput> output_;
  std::function<Ticket(const SourcePosition&)> acquire_;
  std::map<std::string, uint64_t> counts_;
  uint64_t total_ = 0;
};

// Current wall-clock time in epoch milliseconds.
int64_t wall_clock_millis();

}  // namespace pipec
