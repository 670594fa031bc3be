// NDJSON -> Batch with simdjson On-Demand, decoding only the spec's fields.
//
// Each record (a line, or an explicit frame) is parsed in place inside its
// padded InputChunk. The top-level object's fields are walked once and
// dispatched through a per-object key index built from the spec; nested
// objects are entered only where the spec has paths below them. Values that
// are not needed are skipped, and - with validate_unused (default) - still
// checked for well-formedness so that malformed records never become rows.
//
// Semantics worth knowing:
//  - JSON null and missing fields are NULL. A NOT NULL column that ends up
//    NULL dead-letters the row.
//  - Duplicate keys: the last occurrence wins (as in JSON.parse / jq); a later
//    occurrence of an object replaces everything decoded below the earlier
//    one. Every occurrence must still convert, or the row is dead-lettered.
//  - STRING values without escapes are zero-copy StringRefs into the chunk
//    (the batch retains it); escaped strings are unescaped into batch.arena.
//  - raw_json values are the exact JSON text of the value (no whitespace
//    normalisation), validated in full; contents are not type-checked.
//  - Conversions: BIGINT/INTERVAL from JSON integers, or from number literals
//    with an integral value of magnitude <= 2^53 (1.0, 1e3); a fraction is a
//    type mismatch, out-of-range an overflow. DOUBLE from any JSON number.
//    BOOLEAN from true/false. STRING from JSON strings only. TIMESTAMP from
//    integer epoch milliseconds or ISO-8601 strings (see timestamp.h).
//    Numbers are never read from strings, nor strings from numbers.
//  - Error positions ("at byte N") are 0-based byte offsets into the record.
//
// A decoder owns a simdjson parser and per-record scratch: use one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/decode/decode_error.h"
#include "runtime/decode/decode_spec.h"
#include "runtime/vector/batch.h"
#include "runtime/vector/input_chunk.h"

namespace pipec {

struct DecodeOptions {
  size_t max_record_size = 1 << 20;  // bytes per record, terminator excluded
  uint32_t max_depth = 64;           // nesting levels; the top-level object is 1
  // Check skipped values for well-formedness (and depth). Off trades that
  // guarantee for speed: simdjson then only checks structure it walks.
  bool validate_unused = true;
};

// Where decoding of a chunk stands, so a chunk larger than the batch can be
// resumed into the next batch. Start with a value-initialised cursor.
struct DecodeCursor {
  size_t offset = 0;  // newline framing: next byte to read
  uint64_t line = 0;  // newline framing: its line number (0 = chunk.first_line)
  size_t frame = 0;   // explicit framing: next frame
};

struct DecodeStats {
  uint64_t records = 0;      // non-blank records seen
  uint64_t rows = 0;         // records that became rows
  uint64_t blank_lines = 0;  // whitespace-only lines skipped
  uint64_t bytes = 0;        // bytes of all records and lines consumed
};

class NdjsonDecoder {
 public:
  // Throws std::invalid_argument when spec.validate() reports a problem.
  explicit NdjsonDecoder(DecodeSpec spec, DecodeOptions options = {});
  ~NdjsonDecoder();
  NdjsonDecoder(NdjsonDecoder&&) noexcept;
  NdjsonDecoder& operator=(NdjsonDecoder&&) noexcept;

  // Appends rows to `batch` (whose columns must match spec().column_types())
  // until the chunk is exhausted or the batch is full; failed records go to
  // `errors`. Returns true when the whole chunk has been consumed.
  bool decode(const std::shared_ptr<const InputChunk>& chunk, Batch& batch, DecodeErrors& errors,
              DecodeCursor& cursor);
  // Convenience for one-shot use: decodes from the start of the chunk.
  bool decode(const std::shared_ptr<const InputChunk>& chunk, Batch& batch, DecodeErrors& errors);

  // A batch laid out for this decoder's output.
  Batch make_batch(uint32_t capacity = kDefaultBatchCapacity) const;

  const DecodeSpec& spec() const;
  const DecodeOptions& options() const;
  const DecodeStats& stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipec
