// connector = 'kafka' as a Source for the pipeline driver: an adapter over
// KafkaSource (runtime/sources/kafka/kafka_source.h) that decodes the polled
// chunks into batches, fills METADATA FROM columns ('key', 'topic',
// 'partition', 'offset', 'timestamp', 'headers') and keeps the offset
// tracker's ticket of every record it hands out.
//
// Delivery protocol (driven by PipelineRunner):
//   next(batch, errors)    at most one poll(); every record handed out holds
//                          one pending completion ("the source reference")
//   sink                   per document: acquire (retain +1; a batch's
//                          documents under one lock) before submitting,
//                          release(tickets) on ack / dead letter
//   release_batch()        after the batch went through the chain and the
//                          dead letters of its decode errors were written:
//                          drops the source reference of every record of the
//                          last next(), so filtered / deduplicated /
//                          dead-lettered records complete at once and the
//                          others once their documents are acknowledged
//   commit(false)          periodically; close() commits synchronously
//
// Streaming: next() returns true until the source is closed; with
// scan.stop.timestamp-millis (a bounded backfill) it returns false once every
// partition is finished. While set_paused(true) (a sink outage) the
// partitions are paused and next() keeps polling (group membership) but
// hands out nothing; keep_alive() does the same between two next() calls
// (the sink waits for room inside a push) once the wait is an outage or long.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compiler/plan/logical_plan.h"
#include "runtime/decode/ndjson_decoder.h"
#include "runtime/sources/kafka/kafka_source.h"
#include "runtime/sources/source.h"

namespace pipec {

class KafkaStreamSource : public Source {
 public:
  KafkaStreamSource(const LogicalSource& plan, KafkaSourceConfig config);
  ~KafkaStreamSource() override;

  void open() override;
  bool next(Batch& batch, DecodeErrors& errors) override;
  const std::vector<SourceDescriptor>& descriptors() const override { return descriptors_; }
  uint64_t records_read() const override { return records_; }
  uint64_t bytes_read() const override { return bytes_; }
  uint64_t bytes_total() const override { return 0; }

  // Tickets of the records of the last next() not yet released.
  void release_batch();
  // The same tickets moved to `out` (appended), to be released later.
  void take_batch(std::vector<Ticket>& out);
  // The ticket of a record handed out (and not complete), retained once more
  // for one document; invalid when unknown (revoked partition).
  Ticket acquire(const SourcePosition& pos);
  void acquire(std::span<const SourcePosition> positions, std::span<const uint32_t> rows, Ticket* out);
  void release(Ticket t);
  void release(std::span<const Ticket> tickets);

  void set_paused(bool paused);
  bool paused() const { return paused_; }
  // Called while the driver cannot take records (its sink waits for room).
  // Pauses the partitions and polls once without waiting (group membership:
  // librdkafka evicts a member that does not poll within
  // max.poll.interval.ms, paused or not) when `outage` or when the wait has
  // lasted long; a short wait leaves the prefetched records where they are.
  // Hands nothing out.
  void keep_alive(bool outage);
  // Called when partitions are revoked (not lost), inside next() or
  // keep_alive(), before their final commit: the driver has its sink report
  // what is in flight, so what was acknowledged gets committed instead of
  // re-delivered to the partitions' next owner.
  void set_revoke_drain(std::function<void()> drain) { revoke_hook_.drain = std::move(drain); }
  // Commits what the tracker allows (async), sync on close().
  bool commit(bool sync);
  // Final synchronous commit, leaves the group. Idempotent.
  void close();

  KafkaSource* kafka() { return kafka_.get(); }
  const KafkaSource* kafka() const { return kafka_.get(); }
  const KafkaSourceConfig& config() const { return config_; }
  // Before open(): a bounded replay of the records timestamped in [from_ms,
  // to_ms) (scan.startup/stop.timestamp-millis), in the consumer group
  // "<group>.backfill.<from_ms>-<to_ms>" unless `keep_group`, so the live
  // group's offsets are never touched. Returns the group it reads in.
  const std::string& backfill(int64_t from_ms, int64_t to_ms, bool keep_group);
  // Before open(): where partitions start instead of the committed offsets.
  void start_at(std::vector<KafkaStartOffset> offsets) { config_.start_offsets = std::move(offsets); }

 private:
  void count(size_t from);  // records and bytes of chunks_[from..]
  // One poll of paused partitions: what it still hands out is kept for later.
  void poll_paused(int timeout_ms);

  KafkaSourceConfig config_;
  NdjsonDecoder decoder_;
  std::vector<KafkaMetadataColumn> metadata_;
  std::unique_ptr<KafkaSource> kafka_;
  struct RevokeHook : KafkaRebalanceListener {
    std::function<void()> drain;
    void on_revoking(const std::vector<KafkaTopicPartition>&, bool lost) override {
      if (!lost && drain) drain();
    }
  } revoke_hook_;
  std::vector<SourceDescriptor> descriptors_;
  std::vector<KafkaChunk> chunks_;  // polled, not fully decoded yet (front first)
  size_t chunk_index_ = 0;
  DecodeCursor cursor_;
  std::vector<Ticket> handed_;      // records of the last next()
  uint64_t records_ = 0, bytes_ = 0;
  bool paused_ = false;
  // Since when keep_alive() has been called without a next() in between.
  std::optional<std::chrono::steady_clock::time_point> waiting_since_;
  std::chrono::milliseconds pause_after_;  // a wait this long pauses (see keep_alive)
  bool finished_ = false;
  bool closed_ = false;
};

// The adapter's configuration from a kafka source declaration: its WITH
// options (secret('X') values read from the environment), the pipeline name
// as default group id, and the metadata columns the plan reads. Throws
// RunError (Io for a missing secret, Failed for a rejected configuration).
KafkaSourceConfig kafka_stream_config(const LogicalSource& plan, const std::string& pipeline_name);

}  // namespace pipec
