// connector = 'kafka': the source's options (compiler/bind/connector_options.cpp)
// turned into a validated configuration and into the librdkafka properties
// the consumer is created with.
//
// What pipec manages itself (and so rejects in properties.*):
//   enable.auto.commit=false, enable.auto.offset.store=false  - offsets are
//       committed only from the OffsetTracker, after the sink acknowledged;
//   auto.offset.reset  - from scan.startup.mode;
//   enable.partition.eof  - on for bounded runs (scan.stop.timestamp-millis).
// Defaults a property may override: partition.assignment.strategy
// (cooperative-sticky), client.id (pipec), statistics.interval.ms (1000; the
// source reads broker state, consumer lag and the group's join state from
// it), queued.min.messages (1000000: prefetch bounded by bytes, not count).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pipec {

// Where a partition starts when its group has no committed offset. A committed
// offset always wins (at-least-once across restarts); 'timestamp' looks the
// start offset up with ListOffsets (rd_kafka_offsets_for_times) on assignment.
enum class KafkaStartupMode { GroupOffsets, Earliest, Latest, Timestamp };
const char* kafka_startup_mode_name(KafkaStartupMode mode);

using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

struct KafkaStartOffset {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = 0;
};

struct KafkaSourceConfig {
  std::string source_name;                 // the relation's name (logs, descriptors)
  std::vector<std::string> topics;         // at least one
  std::string bootstrap_servers;
  std::string group_id;
  KafkaProperties properties;              // passed to librdkafka, "properties." stripped
  KafkaStartupMode startup = KafkaStartupMode::GroupOffsets;
  std::optional<int64_t> startup_timestamp_ms;
  // Bounded run (backfill): a partition is finished at its first record whose
  // timestamp is >= this (that record is not handed out), or at its high
  // watermark as of assignment; the run ends when every assigned partition is.
  std::optional<int64_t> stop_timestamp_ms;
  // Larger payloads are handed on as frames of their full size, which the
  // decoder rejects when DecodeOptions::max_record_size == max_record_bytes.
  size_t max_record_bytes = 1 << 20;

  // ---- runtime knobs (not .pipe options)
  // InputChunk::source_file of topics[i] is source_file_base + i.
  uint32_t source_file_base = 0;
  // Metadata the chunks carry beyond topic/partition/offset/timestamp.
  bool with_key = false;
  bool with_headers = false;
  // Where partitions start on their first assignment, whatever the group
  // committed: a restored checkpoint's positions (runtime/state).
  std::vector<KafkaStartOffset> start_offsets;
  // Limits of one poll() call.
  size_t max_poll_records = 10000;
  size_t max_poll_bytes = 16 << 20;
  // On revocation, wait up to this long for the revoked partitions' records
  // in flight to be released (by other threads) before the final commit.
  int revoke_drain_timeout_ms = 0;
  // Timeout of synchronous broker calls (commit on revoke/close, committed
  // offsets, ListOffsets, watermarks).
  int sync_timeout_ms = 10000;
  // Receives a line per connection state change, rebalance and fatal error
  // (on the source thread, or on a thread calling commit()); none when empty.
  std::function<void(const std::string&)> log;

  // From the source's WITH options (key, value). `default_group` is used
  // when no group id is given (the pipeline's name). False with *error set
  // when an option is missing, malformed, unknown or reserved.
  static bool from_options(const std::vector<std::pair<std::string, std::string>>& options,
                           std::string_view default_group, KafkaSourceConfig* out, std::string* error);

  // Turns a metadata key ('key', 'headers', ...) a plan reads into the
  // with_* flags; false for keys that are not Kafka metadata.
  bool want_metadata(std::string_view key);

  bool bounded() const { return stop_timestamp_ms.has_value(); }
};

// Every property the consumer is created with, in the order set: pipec's
// managed settings and defaults, then the passed-through properties.
KafkaProperties librdkafka_properties(const KafkaSourceConfig& config);

// Checks the properties against librdkafka (unknown keys, bad values) without
// connecting. False with *error naming the property.
bool validate_librdkafka_properties(const KafkaSourceConfig& config, std::string* error);

// One of librdkafka's own log lines (its log_cb: syslog level, facility,
// text) in pipec's words: "librdkafka warning OFFSET: ...", for a client's
// log instead of librdkafka's raw "%4|1796543116.733|OFFSET|..." on stderr.
std::string librdkafka_log_line(int level, const char* facility, const char* line);

}  // namespace pipec
