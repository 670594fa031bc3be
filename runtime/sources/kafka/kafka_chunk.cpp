#include "runtime/sources/kafka/kafka_chunk.h"

#include <algorithm>
#include <cstring>

#include "runtime/common/json_writer.h"
#include "runtime/decode/utf8.h"

namespace pipec {

namespace {

constexpr std::string_view kTombstoneFrame = "null";
constexpr std::string_view kNoHeaders = "{}";

// Appends `bytes` with every invalid UTF-8 sequence replaced by U+FFFD.
void append_utf8_sanitized(std::string& out, std::string_view bytes) {
  while (!bytes.empty()) {
    size_t bad = first_invalid_utf8(bytes);
    out.append(bytes.substr(0, bad));
    if (bad == bytes.size()) return;
    out.append("\xEF\xBF\xBD");
    bytes.remove_prefix(bad + 1);
  }
}

}  // namespace

bool kafka_metadata_field(std::string_view key, KafkaMetadataField* out) {
  static constexpr std::pair<std::string_view, KafkaMetadataField> kFields[] = {
      {"key", KafkaMetadataField::Key},           {"topic", KafkaMetadataField::Topic},
      {"partition", KafkaMetadataField::Partition}, {"offset", KafkaMetadataField::Offset},
      {"timestamp", KafkaMetadataField::Timestamp}, {"headers", KafkaMetadataField::Headers},
  };
  for (const auto& [k, f] : kFields) {
    if (k == key) {
      *out = f;
      return true;
    }
  }
  return false;
}

size_t KafkaChunk::frame_of(uint64_t offset) const {
  const auto& frames = input->frames;
  auto it = std::lower_bound(frames.begin(), frames.end(), offset,
                             [](const InputChunk::Frame& f, uint64_t o) { return f.offset < o; });
  if (it == frames.end() || it->offset != offset) return size();
  return static_cast<size_t>(it - frames.begin());
}

Ticket KafkaChunk::ticket_for(uint64_t offset) const {
  size_t f = frame_of(offset);
  return f == size() ? Ticket{} : ticket(f);
}

std::string_view KafkaChunk::key(size_t frame) const {
  const KafkaMessageMeta& m = meta[frame];
  if (m.key_null) return {};
  return {input->data() + m.key_begin, m.key_size};
}

std::string_view KafkaChunk::headers_json(size_t frame) const {
  const KafkaMessageMeta& m = meta[frame];
  if (!m.has_headers) return kNoHeaders;
  return {input->data() + m.headers_begin, m.headers_size};
}

void KafkaChunk::fill_metadata(Batch& batch, uint32_t from, uint32_t to,
                               std::span<const KafkaMetadataColumn> columns) const {
  if (columns.empty()) return;
  const auto& frames = input->frames;
  size_t f = 0;
  for (uint32_t row = from; row < to; ++row) {
    uint64_t offset = batch.positions[row].line_or_offset;
    while (f < frames.size() && frames[f].offset < offset) ++f;
    bool found = f < frames.size() && frames[f].offset == offset &&
                 batch.positions[row].partition == partition;
    for (const KafkaMetadataColumn& c : columns) {
      Vector& col = batch.columns[c.column];
      if (!found) {
        col.set_null(row);
        continue;
      }
      const KafkaMessageMeta& m = meta[f];
      switch (c.field) {
        case KafkaMetadataField::Key:
          if (m.key_null) {
            col.set_null(row);
          } else {
            col.data<StringRef>()[row] = StringRef::of(key(f));
            col.set_valid(row, true);
          }
          break;
        case KafkaMetadataField::Topic:
          col.data<StringRef>()[row] = StringRef::of(topic());
          col.set_valid(row, true);
          break;
        case KafkaMetadataField::Partition:
          col.data<int64_t>()[row] = partition;
          col.set_valid(row, true);
          break;
        case KafkaMetadataField::Offset:
          col.data<int64_t>()[row] = static_cast<int64_t>(frames[f].offset);
          col.set_valid(row, true);
          break;
        case KafkaMetadataField::Timestamp:
          if (m.timestamp_ms < 0) {
            col.set_null(row);
          } else {
            col.data<int64_t>()[row] = m.timestamp_ms;
            col.set_valid(row, true);
          }
          break;
        case KafkaMetadataField::Headers:
          col.data<StringRef>()[row] = StringRef::of(headers_json(f));
          col.set_valid(row, true);
          break;
      }
    }
  }
}

// ---------------------------------------------------------------- builder

void KafkaChunkBuilder::reset(std::string_view topic, uint32_t topic_index, int32_t partition,
                              uint32_t source_file) {
  topic_.assign(topic);
  topic_index_ = topic_index;
  partition_ = partition;
  source_file_ = source_file;
  pending_.clear();
  meta_.clear();
  scratch_.clear();
  frame_bytes_ = 0;
  payload_bytes_ = 0;
  in_headers_ = false;
}

void KafkaChunkBuilder::add(int64_t offset, int64_t timestamp_ms, const char* payload, size_t payload_size,
                            const char* key, size_t key_size) {
  if (in_headers_) {
    scratch_.push_back('}');
    meta_.back().headers_size = static_cast<uint32_t>(scratch_.size() - meta_.back().headers_begin);
    in_headers_ = false;
  }
  KafkaMessageMeta& m = meta_.emplace_back();
  m.timestamp_ms = timestamp_ms < 0 ? -1 : timestamp_ms;
  if (!payload) {
    m.kind = KafkaPayloadKind::Tombstone;
    pending_.push_back({kTombstoneFrame.data(), kTombstoneFrame.size(), offset});
    frame_bytes_ += kTombstoneFrame.size();
  } else {
    m.payload_size = static_cast<uint32_t>(payload_size);
    if (payload_size > max_record_bytes_) m.kind = KafkaPayloadKind::Oversize;
    pending_.push_back({payload, payload_size, offset});
    frame_bytes_ += payload_size;
    payload_bytes_ += payload_size;
  }
  if (key) {
    m.key_null = false;
    m.key_begin = static_cast<uint32_t>(scratch_.size());
    std::string_view k(key, key_size);
    if (is_valid_utf8(k)) scratch_.append(k);
    else append_utf8_sanitized(scratch_, k);
    m.key_size = static_cast<uint32_t>(scratch_.size() - m.key_begin);
  }
}

void KafkaChunkBuilder::add_header(std::string_view name, const char* value, size_t value_size) {
  KafkaMessageMeta& m = meta_.back();
  if (!in_headers_) {
    in_headers_ = true;
    m.has_headers = true;
    m.headers_begin = static_cast<uint32_t>(scratch_.size());
    scratch_.push_back('{');
  } else {
    scratch_.push_back(',');
  }
  append_json_string(scratch_, name);
  scratch_.push_back(':');
  if (value) append_json_string(scratch_, std::string_view(value, value_size));
  else scratch_.append("null");
}

KafkaChunk KafkaChunkBuilder::build(Ticket first) {
  if (in_headers_) {
    scratch_.push_back('}');
    meta_.back().headers_size = static_cast<uint32_t>(scratch_.size() - meta_.back().headers_begin);
    in_headers_ = false;
  }
  KafkaChunk chunk;
  chunk.topic_index = topic_index_;
  chunk.partition = partition_;
  chunk.first = first;
  auto input = chunk_pool_.allocate(frame_bytes_ + scratch_.size() + topic_.size());
  input->source_file = source_file_;
  input->partition = partition_;
  input->frames.resize(pending_.size());
  char* data = input->mutable_data();
  size_t at = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    const Pending& p = pending_[i];
    if (p.size) std::memcpy(data + at, p.payload, p.size);
    input->frames[i] = InputChunk::Frame{at, static_cast<uint32_t>(p.size), static_cast<uint64_t>(p.offset)};
    at += p.size;
  }
  if (!scratch_.empty()) std::memcpy(data + at, scratch_.data(), scratch_.size());
  for (KafkaMessageMeta& m : meta_) {
    m.key_begin += static_cast<uint32_t>(at);
    m.headers_begin += static_cast<uint32_t>(at);
  }
  at += scratch_.size();
  if (!topic_.empty()) std::memcpy(data + at, topic_.data(), topic_.size());
  chunk.topic_begin = static_cast<uint32_t>(at);
  chunk.topic_size = static_cast<uint32_t>(topic_.size());
  chunk.input = std::move(input);
  chunk.meta = std::move(meta_);
  meta_.clear();
  pending_.clear();
  scratch_.clear();
  frame_bytes_ = 0;
  payload_bytes_ = 0;
  return chunk;
}

}  // namespace pipec
