// connector = 'kafka': a consumer-group member (librdkafka high-level consumer,
// cooperative-sticky by default) that hands out messages as framed
// InputChunks and commits offsets only once the records are complete
// (OffsetTracker low-water marks): at-least-once, never ahead of the sink.
//
// ---------------------------------------------------------------- the flow
//
//   source.poll(chunks, 100)            one KafkaChunk per partition per call:
//                                       chunk.input->frames = one frame per
//                                       message {begin, size, offset},
//                                       chunk.input->partition set; every
//                                       message is tracked (pending = 1)
//   decoder.decode(chunk.input, ...)    rows and DecodeErrors carry
//                                       SourcePosition{source_file, partition, offset}
//                                       (DecodeOptions::max_record_size must be
//                                       config.max_record_bytes)
//   chunk.fill_metadata(batch, ...)     METADATA FROM 'key'|'topic'|...
//   t = chunk.ticket_for(offset)        per row / dead letter; carry it with the
//                                       row (or resolve with source.ticket_for(pos)
//                                       before the next poll())
//   source.retain(t, n - 1)             a record that became n > 1 documents
//   source.release(t)                   per document acknowledged by the sink,
//                                       per record dead-lettered (after the
//                                       dead-letter write is durable), once
//                                       for a filtered / dropped record
//   source.commit(false)                every ~1 s: commits each partition's
//                                       low-water mark (async; skipped while
//                                       the group rebalances)
//   KafkaPollStatus::Finished           bounded run done: release what is in
//                                       flight, then close()
//   source.close()                      final synchronous commit, leaves the group
//
// Poison messages never stop a partition: a message whose payload is larger
// than max_record_bytes is copied whole and framed with its true size (the
// decoder rejects it: RecordTooLarge, "record of N bytes exceeds ..."); a null
// payload (tombstone) is framed as the 4 bytes `null` (the decoder rejects it:
// NotAnObject, "expected a JSON object at the top level, got null"). Both
// keep their coordinates and are flagged in KafkaMessageMeta::kind. The
// executor dead-letters them like any decode error and releases their ticket.
//
// ---------------------------------------------------------------- threads
//
// poll(), pause*(), resume*(), ticket_for(), close() and the rebalance
// listener's calls happen on one thread (the "source thread"; rebalances run
// inside poll()). retain(), release(), commit(), stats() are thread-safe, so
// sink threads may release tickets directly. Stop calling them before close().
//
// poll() must be called at least every max.poll.interval.ms (librdkafka
// default 300 s) or the member leaves the group. For backpressure, pause()
// the partitions and keep polling: a paused partition hands out nothing
// (librdkafka drops what it had prefetched and resume() continues right
// after the last record poll() handed out, so nothing is skipped).
//
// ---------------------------------------------------------------- rebalances
//
// Assignment: tracking starts for the new partitions (a new epoch); with
// scan.startup.mode 'timestamp' partitions without a committed offset start at
// the first offset at or after the timestamp. Partitions of a pause_all() stay
// paused. Revocation (cooperative: only the partitions that move): nothing
// more is handed out for them; listener->on_revoking(); optionally wait
// revoke_drain_timeout_ms for their in-flight records (released by other
// threads; a single-threaded executor flushes its sink in on_revoking
// instead); commit what is complete for them synchronously; drop their
// tracking (their tickets become stale, so late releases are ignored);
// listener->on_revoked(). Records still in flight are re-delivered to the
// next owner (at-least-once). Lost partitions (session timeout, fencing) are
// dropped without a commit.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/delivery/offset_tracker.h"
#include "runtime/sources/kafka/kafka_chunk.h"
#include "runtime/sources/kafka/kafka_config.h"
#include "runtime/vector/source_position.h"

namespace pipec {

struct KafkaTopicPartition {
  std::string topic;
  int32_t partition = -1;
  friend bool operator==(const KafkaTopicPartition&, const KafkaTopicPartition&) = default;
};

enum class KafkaConnectionState : uint8_t {
  Connecting,    // no broker seen up yet
  Connected,     // at least one broker connection up
  Disconnected,  // all brokers down; librdkafka keeps reconnecting
  Failed,        // fatal error (see error()); the source is unusable
};
const char* kafka_connection_state_name(KafkaConnectionState s);

enum class KafkaPollStatus : uint8_t {
  Ok,        // zero or more chunks appended
  Finished,  // bounded run: every assigned partition is finished (nothing appended)
  Failed,    // fatal error: see error()
};

// One fetched partition as librdkafka's latest statistics report it.
struct KafkaPartitionStats {
  std::string topic;
  int32_t partition = -1;
  int64_t lag = -1;               // high watermark - committed offset, -1 unknown
  int64_t committed_offset = -1;  // confirmed by the broker, -1 none yet
};

struct KafkaSourceStats {
  KafkaConnectionState state = KafkaConnectionState::Connecting;
  uint64_t messages = 0;         // handed out
  uint64_t bytes = 0;            // payload bytes handed out
  uint64_t chunks = 0;
  uint64_t tombstones = 0;
  uint64_t oversize = 0;
  uint64_t dropped = 0;          // fetched but not handed out (revoked, stopped, re-delivered)
  uint64_t lost_to_retention = 0;  // offsets deleted by retention between a committed offset and its first read
  uint64_t commits = 0;          // partition offsets confirmed by the broker
  uint64_t commit_failures = 0;  // partition offsets the broker did not take
  uint64_t deferred_commits = 0; // commit() calls skipped while the group rebalanced
  uint64_t rebalances = 0;
  uint64_t pauses = 0;           // pause()/pause_all() calls that paused partitions (each drops their prefetch)
  uint32_t assigned = 0;         // partitions assigned now
  uint32_t paused = 0;           // of which paused
  uint32_t finished = 0;         // of which finished (bounded runs)
  uint64_t outstanding = 0;      // records handed out and not complete
  int64_t lag = -1;              // sum of consumer lag (high watermark - committed), -1 unknown
  std::vector<KafkaPartitionStats> partitions;  // every statistics.interval.ms
  std::string last_error;        // latest non-fatal error (connection, commit, ...)
  OffsetTrackerStats tracker;
};

// Called on the source thread, inside poll() / close().
class KafkaRebalanceListener {
 public:
  virtual ~KafkaRebalanceListener() = default;
  virtual void on_assigned(const std::vector<KafkaTopicPartition>& partitions) {}
  // Before the final commit of partitions being revoked: a chance to flush
  // the sink and release their in-flight records. `lost`: no commit follows.
  virtual void on_revoking(const std::vector<KafkaTopicPartition>& partitions, bool lost) {}
  virtual void on_revoked(const std::vector<KafkaTopicPartition>& partitions) {}
};

class KafkaSource {
 public:
  // Creates the consumer and subscribes; connecting happens in the
  // background. Null with *error when the configuration is rejected.
  static std::unique_ptr<KafkaSource> open(const KafkaSourceConfig& config, std::string* error);
  ~KafkaSource();  // close() if not closed
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Waits up to timeout_ms for messages, then gathers what is ready (up to
  // max_poll_records / max_poll_bytes) into one chunk per partition, appended
  // to `out`. Serves rebalances, commit results and statistics.
  KafkaPollStatus poll(std::vector<KafkaChunk>& out, int timeout_ms);

  // Ticket of a row or dead letter decoded from a chunk of the current
  // assignment; an invalid ticket when unknown. Same as chunk.ticket_for.
  Ticket ticket_for(const SourcePosition& pos) const;
  // ticket_for() and retain(t, 1) under one lock (one more document of a
  // record handed out); an invalid ticket, retaining nothing, when unknown.
  Ticket acquire(const SourcePosition& pos);
  // acquire() of positions[rows[i]] into out[i], under one lock (a sink's
  // documents of one batch).
  void acquire(std::span<const SourcePosition> positions, std::span<const uint32_t> rows, Ticket* out);

  void retain(Ticket t, uint32_t n);
  AckResult release(Ticket t, uint32_t n = 1);
  void release(std::span<const Ticket> tickets);

  // Commits every partition whose low-water mark moved. async: results are
  // applied in a later poll(); sync: waits (up to sync_timeout_ms). Returns
  // false when a sync commit failed (see stats().last_error).
  // While the group rebalances the call is skipped (counted in
  // stats().deferred_commits; a sync call then returns false): with
  // librdkafka 2.0.2 a commit racing a rejoin loses the whole assignment
  // (librdkafka#4059). Revocations commit for themselves, so nothing is lost
  // by deferring; just call commit() again on the next tick.
  bool commit(bool sync);

  // Backpressure (rd_kafka_pause_partitions). pause_all() also pauses
  // partitions assigned later, until resume_all(). Finished partitions of a
  // bounded run stay paused.
  void pause(const std::vector<KafkaTopicPartition>& partitions);
  void resume(const std::vector<KafkaTopicPartition>& partitions);
  void pause_all();
  void resume_all();

  // Final synchronous commit, leave the group (revocation runs the
  // listener), destroy the consumer. Idempotent.
  void close();

  void set_rebalance_listener(KafkaRebalanceListener* listener) { listener_ = listener; }
  std::vector<KafkaTopicPartition> assignment() const;
  // The tracker's committable offset of a partition, or -1.
  int64_t committable(const KafkaTopicPartition& tp) const;
  KafkaSourceStats stats() const;
  KafkaConnectionState state() const { return state_.load(std::memory_order_relaxed); }
  const std::string& error() const { return error_; }
  const KafkaSourceConfig& config() const { return config_; }
  // One descriptor per topic, for SourcePosition::source_file
  // (config.source_file_base + topic index).
  std::vector<SourceDescriptor> descriptors() const;

 private:
  struct Impl;
  explicit KafkaSource(const KafkaSourceConfig& config);

  KafkaSourceConfig config_;
  std::unique_ptr<Impl> impl_;
  KafkaRebalanceListener* listener_ = nullptr;
  std::atomic<KafkaConnectionState> state_{KafkaConnectionState::Connecting};
  std::string error_;
};

}  // namespace pipec
