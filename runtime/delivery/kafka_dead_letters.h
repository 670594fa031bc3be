// 'dead-letter.topic': dead letters produced to a Kafka topic with
// librdkafka's idempotent producer (enable.idempotence=true, acks=all, so
// retries neither lose nor duplicate nor reorder letters).
//
// A message per letter: value = the rejected record's bytes exactly as
// consumed (or read from a file line); no key; headers (docs/dead-letters.md):
//   pipec.error.kind        counting bucket: "decode malformed_json",
//                           "constraint <name>", "sink", "late event", ...
//   pipec.error.reason      the message: "field 'amount': expected DOUBLE, ..."
//   pipec.error.constraint  the violated constraint (only when there is one)
//   pipec.pipeline          the pipeline's name
//   pipec.source.topic / pipec.source.partition / pipec.source.offset
//                           (Kafka input), or pipec.source.file /
//                           pipec.source.line (file input); numbers in decimal
//   pipec.time              when the record was rejected (ISO 8601, UTC, ms)
//
// Holds (dead_letter_output.h) are released by the delivery report of their
// letter. A letter librdkafka gives up on (message.timeout.ms, default 300 s,
// after its own retries) or a fatal producer error keeps its hold and fails
// the run at the next flush(): nothing is committed past a lost letter.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/bind/bound_script.h"
#include "runtime/delivery/dead_letter_output.h"

namespace pipec {

struct KafkaDeadLetterConfig {
  std::string topic;
  std::string bootstrap_servers;
  // librdkafka producer properties ('dead-letter.kafka.' stripped).
  std::vector<std::pair<std::string, std::string>> properties;
  int open_timeout_ms = 10000;   // metadata check of the topic at open()
  int close_timeout_ms = 30000;  // waiting for the last delivery reports
};

// The configuration from a pipeline's WITH options: 'dead-letter.topic',
// 'dead-letter.kafka.<property>' (secret('X') read from the environment),
// bootstrap servers defaulting to `source_brokers`. Throws RunError for a
// missing setting or a property pipec manages itself.
KafkaDeadLetterConfig kafka_dead_letter_config(const OptionSet& pipeline_options, const std::string& source_brokers);

class KafkaDeadLetterOutput : public DeadLetterOutput {
 public:
  KafkaDeadLetterOutput(KafkaDeadLetterConfig config, std::string pipeline, std::vector<SourceDescriptor> sources);
  ~KafkaDeadLetterOutput() override;

  void open() override;
  void write(const DeadLetter& letter, int64_t time_millis, Ticket hold) override;
  void flush() override;
  void close() override;
  std::string describe() const override { return "kafka topic '" + config_.topic + "'"; }

  // Letters produced and not acknowledged yet.
  uint64_t in_flight() const;

 private:
  struct Impl;
  KafkaDeadLetterConfig config_;
  std::string pipeline_;
  std::vector<SourceDescriptor> sources_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipec
