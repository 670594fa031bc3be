// Where a pipeline's dead letters go, behind one narrow interface: an NDJSON
// file (FileDeadLetterOutput, below) or a Kafka topic
// (KafkaDeadLetterOutput, kafka_dead_letters.h). DeadLetterQueue counts and
// routes; an output only stores.
//
// Holds: a letter of a Kafka record arrives with a ticket that keeps the
// record's offset from being committed (offset_tracker.h). The output
// releases it once the letter is durable — the file once written, the topic
// once Kafka acknowledged it — so an offset is never committed past a letter
// that could still be lost. A letter that can never be stored (a fatal
// producer error) keeps its hold: the run fails with nothing committed past it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/delivery/offset_tracker.h"
#include "runtime/encode/byte_buffer.h"
#include "runtime/encode/dead_letter_encoder.h"
#include "runtime/sinks/file_writer.h"

namespace pipec {

class DeadLetterOutput {
 public:
  virtual ~DeadLetterOutput() = default;
  // Fails (RunError) before any input is read when letters could not be stored.
  virtual void open() = 0;
  // Stores one letter, eventually; `hold` (possibly invalid) is released
  // through release_hold once the letter is durable.
  virtual void write(const DeadLetter& letter, int64_t time_millis, Ticket hold) = 0;
  // Makes what was written durable as far as possible without waiting
  // (file: written and fdatasync'ed; topic: delivery reports served) and
  // releases the holds of durable letters. Throws RunError on a failure.
  virtual void flush() = 0;
  // Everything durable (waits, bounded); throws RunError when not.
  virtual void close() = 0;
  // For the summary: the path, or "kafka topic 'x'".
  virtual std::string describe() const = 0;

  std::function<void(Ticket)> release_hold;

 protected:
  void release(Ticket t) {
    if (t.valid() && release_hold) release_hold(t);
  }
};

// NDJSON lines (dead_letter_encoder.h). The file is created only when there
// is something to write; one left by an earlier run is truncated at open().
class FileDeadLetterOutput : public DeadLetterOutput {
 public:
  FileDeadLetterOutput(std::string pipeline, std::vector<SourceDescriptor> sources, std::string path);
  void open() override;
  void write(const DeadLetter& letter, int64_t time_millis, Ticket hold) override;
  void flush() override;
  void close() override;
  std::string describe() const override { return writer_.path(); }

 private:
  DeadLetterEncoder encoder_;
  FileWriter writer_;
  ByteBuffer buffer_;
  std::vector<Ticket> holds_;  // of the letters in buffer_ or written since the last sync
};

}  // namespace pipec
