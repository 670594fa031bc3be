// How an operator that keeps state across batches (window aggregates) keeps
// the offsets of the records in that state from being committed. Set in
// ExecContext::holds by the driver for streaming sources (Kafka); null for
// files, which have nothing to commit.
#pragma once

#include <functional>

#include "runtime/delivery/offset_tracker.h"
#include "runtime/vector/source_position.h"

namespace pipec {

struct SourceHolds {
  // One more pending completion on the record at `pos` (invalid ticket when
  // the record is not tracked, e.g. its partition was revoked).
  std::function<Ticket(const SourcePosition&)> acquire;
  // Gives the hold back once the sink has made everything pushed so far
  // durable (the driver's next commit).
  std::function<void(Ticket)> release_after_flush;
  // The source reached its end (a bounded run), so state emitted by finish()
  // is final rather than cut short by a stop.
  bool input_ended = false;
  // A final checkpoint holds the operators' state at a stop
  // (runtime/state): windows keep it for the restart instead of emitting
  // partial results.
  bool state_checkpointed = false;
};

}  // namespace pipec
