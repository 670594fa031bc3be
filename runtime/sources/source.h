// Where a pipeline's records come from. A source reads raw bytes, frames
// them into records and decodes them (runtime/decode) into batches laid out
// by the plan's decode list (LogicalSource::decode, possibly pruned by the
// optimizer); records that fail to decode come back as DecodeErrors for the
// driver to dead-letter.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/plan/logical_plan.h"
#include "runtime/decode/decode_error.h"
#include "runtime/decode/decode_spec.h"
#include "runtime/vector/batch.h"
#include "runtime/vector/source_position.h"

namespace pipec {

class Source {
 public:
  virtual ~Source() = default;
  // Resolves and opens the input; throws RunError when it cannot be read.
  virtual void open() = 0;
  // Fills the (reset) batch with up to its capacity of rows; failed records
  // are appended to `errors`. Returns false once the input is exhausted
  // (the batch may still hold the last rows).
  virtual bool next(Batch& batch, DecodeErrors& errors) = 0;
  // Names what SourcePosition::source_file indexes; valid after open().
  virtual const std::vector<SourceDescriptor>& descriptors() const = 0;
  // Non-blank records read so far, rows and errors alike.
  virtual uint64_t records_read() const = 0;
  virtual uint64_t bytes_read() const = 0;
  // Total input size when known (files), else 0: progress % and ETA.
  virtual uint64_t bytes_total() const = 0;
};

// What the decoder extracts for a source: the plan's (pruned) decode list;
// connector metadata columns are `external` (filled by the source).
DecodeSpec decode_spec_of(const LogicalSource& plan);

}  // namespace pipec
