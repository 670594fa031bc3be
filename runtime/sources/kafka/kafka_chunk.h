// What the Kafka source hands out: the messages of one partition from one
// poll, copied into a padded InputChunk with one frame per message, plus the
// per-message metadata (key, timestamp, headers) the executor needs for
// METADATA FROM columns, and the tickets of the offset tracker.
//
// Chunk memory: [payload 0][payload 1]...[keys and headers JSON][topic name]
// + InputChunk::kPadding zero bytes. Frames cover the payloads only; key,
// headers and topic StringRefs point into the same chunk, so a Batch that
// retains the chunk (the decoder does) keeps them valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/delivery/offset_tracker.h"
#include "runtime/vector/batch.h"
#include "runtime/vector/input_chunk.h"
#include "runtime/vector/input_chunk_pool.h"
#include "runtime/vector/source_position.h"

namespace pipec {

enum class KafkaPayloadKind : uint8_t {
  Normal,
  Tombstone,  // null payload; framed as `null`
  Oversize,   // payload larger than max_record_bytes; framed whole
};

// Per message, aligned with the chunk's frames. Key and headers live in the
// chunk's own memory (after the payloads), so StringRefs to them stay valid
// while a batch retains the chunk.
struct KafkaMessageMeta {
  int64_t timestamp_ms = -1;      // -1: the message has none
  uint32_t payload_size = 0;      // bytes of the real payload (0 for tombstones)
  uint32_t key_begin = 0, key_size = 0;
  uint32_t headers_begin = 0, headers_size = 0;
  bool key_null = true;           // no key (or with_key off)
  bool has_headers = false;       // headers_* valid (with_headers on)
  KafkaPayloadKind kind = KafkaPayloadKind::Normal;
};

enum class KafkaMetadataField : uint8_t { Key, Topic, Partition, Offset, Timestamp, Headers };
// 'key', 'topic', 'partition', 'offset', 'timestamp', 'headers'.
bool kafka_metadata_field(std::string_view key, KafkaMetadataField* out);

struct KafkaMetadataColumn {
  uint32_t column;  // batch column index (an `external` DecodeField)
  KafkaMetadataField field;
};

// Messages of one partition from one poll(), in offset order.
struct KafkaChunk {
  std::shared_ptr<InputChunk> input;   // frames[i] <-> meta[i]
  std::vector<KafkaMessageMeta> meta;
  uint32_t topic_index = 0;            // index into config.topics
  int32_t partition = -1;
  Ticket first;                        // frames[i]'s ticket: {first.slot, first.epoch, first.seq + i}
  uint32_t topic_begin = 0, topic_size = 0;  // the topic name, in input's memory

  size_t size() const { return meta.size(); }
  std::string_view topic() const { return {input->data() + topic_begin, topic_size}; }
  Ticket ticket(size_t frame) const { return Ticket{first.slot, first.epoch, first.seq + frame}; }
  // The frame holding `offset` (binary search), or size() when none does.
  size_t frame_of(uint64_t offset) const;
  // An invalid ticket when no frame holds `offset`.
  Ticket ticket_for(uint64_t offset) const;
  std::string_view key(size_t frame) const;          // empty when null
  std::string_view headers_json(size_t frame) const;  // "{}" when none / not requested
  SourcePosition position(size_t frame) const {
    return SourcePosition{input->source_file, partition, input->frames[frame].offset};
  }

  // Fills metadata columns of batch rows [from, to), which must have been
  // decoded from this chunk (in order, as the decoder appends them). Key and
  // headers are zero-copy StringRefs into the chunk (the decoder made the
  // batch retain it); a null key or missing timestamp is NULL.
  void fill_metadata(Batch& batch, uint32_t from, uint32_t to,
                     std::span<const KafkaMetadataColumn> columns) const;
};

// Builds KafkaChunks: add() every message of one partition in offset order
// (the bytes it points to must stay valid until build()), then build().
class KafkaChunkBuilder {
 public:
  // Frames larger than this are flagged KafkaPayloadKind::Oversize.
  explicit KafkaChunkBuilder(size_t max_record_bytes) : max_record_bytes_(max_record_bytes) {}

  // Starts a chunk of `topic` (topics[topic_index]), partition, source_file.
  void reset(std::string_view topic, uint32_t topic_index, int32_t partition, uint32_t source_file);
  // One message. payload == nullptr: a tombstone (framed as `null`).
  // key == nullptr: no key (or keys not wanted). A key that is not valid
  // UTF-8 gets U+FFFD for each invalid byte, so it stays a valid STRING.
  void add(int64_t offset, int64_t timestamp_ms, const char* payload, size_t payload_size, const char* key,
           size_t key_size);
  // Headers of the last added message, as a JSON object text
  // {"name":"value",...}: names and values are JSON strings (invalid UTF-8
  // bytes become U+FFFD), a null value is null, repeated names are kept in
  // order (a JSON reader keeps the last).
  void add_header(std::string_view name, const char* value, size_t value_size);
  size_t size() const { return meta_.size(); }
  const KafkaMessageMeta& last() const { return meta_.back(); }
  uint64_t payload_bytes() const { return payload_bytes_; }
  // The chunk; its tickets start at `first` (consecutive seqs).
  KafkaChunk build(Ticket first);

 private:
  struct Pending {
    const char* payload;
    size_t size;
    int64_t offset;
  };
  size_t max_record_bytes_;
  // Chunk buffers come back once the batches holding them are released, so
  // a poll does not fault in and clear fresh pages (like the file source's).
  InputChunkPool chunk_pool_;
  std::string topic_;
  uint32_t topic_index_ = 0;
  int32_t partition_ = -1;
  uint32_t source_file_ = 0;
  std::vector<Pending> pending_;
  std::vector<KafkaMessageMeta> meta_;
  std::string scratch_;  // keys and headers, rebased after the payloads on build()
  size_t frame_bytes_ = 0;
  uint64_t payload_bytes_ = 0;
  bool in_headers_ = false;
};

}  // namespace pipec
