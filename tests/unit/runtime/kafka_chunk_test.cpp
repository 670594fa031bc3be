#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "runtime/decode/ndjson_decoder.h"
#include "runtime/sources/kafka/kafka_chunk.h"

using namespace pipec;

namespace {

struct Msg {
  int64_t offset;
  int64_t ts;
  const char* payload;  // nullptr: tombstone
  const char* key;      // nullptr: none
  std::vector<std::pair<std::string, const char*>> headers;
};

KafkaChunk build(const std::vector<Msg>& msgs, size_t max_record_bytes = 64) {
  KafkaChunkBuilder b(max_record_bytes);
  b.reset("orders", 1, 2, 7);
  for (const Msg& m : msgs) {
    b.add(m.offset, m.ts, m.payload, m.payload ? std::strlen(m.payload) : 0, m.key,
          m.key ? std::strlen(m.key) : 0);
    for (const auto& [name, value] : m.headers) b.add_header(name, value, value ? std::strlen(value) : 0);
  }
  return b.build(Ticket{3, 9, 100});
}

DecodeField field(std::vector<std::string> path, TypePtr type) {
  return DecodeField{std::move(path), std::move(type), false, false};
}
DecodeField external(TypePtr type) { return DecodeField{{}, std::move(type), false, false, true}; }

}  // namespace

TEST_CASE("kafka chunk: frames, keys, headers, topic and tickets") {
  std::string big(100, 'x');
  KafkaChunk c = build({
      {10, 1000, "{\"a\":1}", "k1", {{"trace", "abc"}, {"n\"q", nullptr}, {"trace", "def"}}},
      {11, 1001, nullptr, "k2", {}},
      {15, -1, big.c_str(), nullptr, {}},
      {16, 1003, "", "\xff" "ok", {{"bin", "\xfe"}}},
  });
  REQUIRE(c.size() == 4);
  const InputChunk& in = *c.input;
  CHECK(in.source_file == 7);
  CHECK(in.partition == 2);
  CHECK(c.topic_index == 1);
  CHECK(c.partition == 2);
  CHECK(c.topic() == "orders");
  REQUIRE(in.frames.size() == 4);
  auto frame = [&](size_t i) { return std::string_view(in.data() + in.frames[i].begin, in.frames[i].size); };
  CHECK(frame(0) == "{\"a\":1}");
  CHECK(frame(1) == "null");  // tombstone
  CHECK(frame(2) == big);     // oversize: whole
  CHECK(frame(3).empty());
  CHECK(in.frames[2].offset == 15);
  CHECK(c.meta[0].kind == KafkaPayloadKind::Normal);
  CHECK(c.meta[1].kind == KafkaPayloadKind::Tombstone);
  CHECK(c.meta[1].payload_size == 0);
  CHECK(c.meta[2].kind == KafkaPayloadKind::Oversize);
  CHECK(c.meta[2].payload_size == 100);
  CHECK(c.meta[2].timestamp_ms == -1);
  CHECK(c.meta[3].kind == KafkaPayloadKind::Normal);

  CHECK(c.key(0) == "k1");
  CHECK(c.key(1) == "k2");
  CHECK(c.meta[2].key_null);
  CHECK(c.key(3) == "\xEF\xBF\xBDok");  // invalid UTF-8 byte replaced
  CHECK(c.headers_json(0) == R"({"trace":"abc","n\"q":null,"trace":"def"})");
  CHECK(c.headers_json(1) == "{}");
  CHECK(c.headers_json(3) == "{\"bin\":\"\xEF\xBF\xBD\"}");

  CHECK(c.ticket(0) == Ticket{3, 9, 100});
  CHECK(c.ticket(3) == Ticket{3, 9, 103});
  CHECK(c.frame_of(15) == 2);
  CHECK(c.frame_of(12) == c.size());
  CHECK(c.ticket_for(16) == Ticket{3, 9, 103});
  CHECK_FALSE(c.ticket_for(17).valid());
  CHECK(c.position(1) == SourcePosition{7, 2, 11});

  // Metadata and the topic live inside the chunk's own bytes.
  const char* lo = in.data();
  const char* hi = in.data() + in.size();
  CHECK((c.key(0).data() >= lo && c.key(0).data() < hi));
  CHECK((c.topic().data() >= lo && c.topic().data() + c.topic().size() == hi));
  // Padding after the last byte is zero for simdjson.
  for (size_t i = 0; i < InputChunk::kPadding; ++i) CHECK(in.data()[in.size() + i] == 0);
}

TEST_CASE("kafka chunk: poison messages are rejected by the decoder with their coordinates") {
  std::string big = "{\"a\":\"" + std::string(80, 'y') + "\"}";
  KafkaChunk c = build({
      {20, 1, "{\"a\":\"fine\"}", nullptr, {}},
      {21, 2, nullptr, "deleted-key", {}},  // tombstone
      {22, 3, big.c_str(), nullptr, {}},     // oversize (max 64 bytes)
      {23, 4, "{\"a\":", nullptr, {}},        // malformed
      {24, 5, "", nullptr, {}},               // empty payload
      {25, 6, "{\"a\":\"last\"}", nullptr, {}},
  });
  DecodeOptions opt;
  opt.max_record_size = 64;  // the executor sets it from max-record-bytes
  NdjsonDecoder decoder(DecodeSpec{{field({"a"}, Type::string())}}, opt);
  Batch batch = decoder.make_batch();
  DecodeErrors errors;
  CHECK(decoder.decode(c.input, batch, errors));
  REQUIRE(batch.size == 2);
  CHECK(batch.positions[0] == SourcePosition{7, 2, 20});
  CHECK(batch.positions[1] == SourcePosition{7, 2, 25});
  REQUIRE(errors.errors.size() == 4);
  CHECK(errors.errors[0].kind == DecodeErrorKind::NotAnObject);
  CHECK(errors.errors[0].pos == SourcePosition{7, 2, 21});
  CHECK(errors.errors[0].reason == "expected a JSON object at the top level, got null");
  CHECK(errors.errors[1].kind == DecodeErrorKind::RecordTooLarge);
  CHECK(errors.errors[1].pos == SourcePosition{7, 2, 22});
  CHECK(errors.errors[1].reason == "record of 88 bytes exceeds the maximum record size of 64 bytes");
  CHECK(errors.errors[2].kind == DecodeErrorKind::MalformedJson);
  CHECK(errors.errors[2].pos.line_or_offset == 23);
  CHECK(errors.errors[3].pos.line_or_offset == 24);
  CHECK(errors.errors[3].reason == "malformed JSON at byte 0: empty record");
  // Every failure maps back to its frame, ticket and kind.
  CHECK(c.meta[c.frame_of(errors.errors[0].pos.line_or_offset)].kind == KafkaPayloadKind::Tombstone);
  CHECK(c.meta[c.frame_of(errors.errors[1].pos.line_or_offset)].kind == KafkaPayloadKind::Oversize);
  CHECK(c.ticket_for(errors.errors[2].pos.line_or_offset) == Ticket{3, 9, 103});
}

TEST_CASE("kafka chunk: fill_metadata fills external columns of the decoded rows") {
  KafkaChunk c = build({
      {30, 1700000000123, "{\"v\":1}", "user-1", {{"h", "1"}}},
      {31, 1700000000124, "bad", "user-2", {}},
      {32, -1, "{\"v\":3}", nullptr, {}},
  });
  DecodeSpec spec{{field({"v"}, Type::bigint()), external(Type::string()), external(Type::string()),
                   external(Type::bigint()), external(Type::bigint()), external(Type::timestamp()),
                   external(Type::string())}};
  NdjsonDecoder decoder(spec);
  Batch batch = decoder.make_batch();
  DecodeErrors errors;
  // A row from elsewhere first: fill_metadata only touches [from, to).
  uint32_t from = batch.size;
  CHECK(decoder.decode(c.input, batch, errors));
  REQUIRE(batch.size == 2);
  std::vector<KafkaMetadataColumn> cols = {
      {1, KafkaMetadataField::Key},    {2, KafkaMetadataField::Topic},     {3, KafkaMetadataField::Partition},
      {4, KafkaMetadataField::Offset}, {5, KafkaMetadataField::Timestamp}, {6, KafkaMetadataField::Headers}};
  c.fill_metadata(batch, from, batch.size, cols);
  auto str = [&](uint32_t col, uint32_t row) { return std::string(batch.columns[col].data<StringRef>()[row].view()); };
  auto i64 = [&](uint32_t col, uint32_t row) { return batch.columns[col].data<int64_t>()[row]; };
  CHECK(batch.columns[1].is_valid(0));
  CHECK(str(1, 0) == "user-1");
  CHECK(str(2, 0) == "orders");
  CHECK(i64(3, 0) == 2);
  CHECK(i64(4, 0) == 30);
  CHECK(i64(5, 0) == 1700000000123);
  CHECK(str(6, 0) == R"({"h":"1"})");
  // Row 1 is offset 32 (31 failed to decode): no key, no timestamp.
  CHECK(i64(4, 1) == 32);
  CHECK_FALSE(batch.columns[1].is_valid(1));
  CHECK_FALSE(batch.columns[5].is_valid(1));
  CHECK(str(6, 1) == "{}");
  CHECK(batch.columns[0].data<int64_t>()[1] == 3);

  KafkaMetadataField f;
  CHECK(kafka_metadata_field("headers", &f));
  CHECK(f == KafkaMetadataField::Headers);
  CHECK_FALSE(kafka_metadata_field("line", &f));
}

TEST_CASE("kafka chunk: an empty builder and reuse") {
  KafkaChunkBuilder b(10);
  b.reset("t", 0, 0, 0);
  KafkaChunk empty = b.build(Ticket{});
  CHECK(empty.size() == 0);
  CHECK(empty.topic() == "t");
  b.reset("u", 0, 5, 0);
  b.add(1, 1, "{}", 2, nullptr, 0);
  KafkaChunk one = b.build(Ticket{0, 1, 0});
  CHECK(one.size() == 1);
  CHECK(one.topic() == "u");
  CHECK(one.input->partition == 5);
}

TEST_CASE("kafka chunk: a released chunk's buffer is reused, nothing of it leaks into the next chunk") {
  KafkaChunkBuilder b(1000);
  std::string long_payload(300, 'y');
  const char* reused = nullptr;
  {
    b.reset("first-topic", 1, 4, 9);
    b.add(100, 5, long_payload.c_str(), long_payload.size(), "a-key", 5);
    b.add_header("h", "v", 1);
    b.add(101, 6, "{\"z\":2}", 7, nullptr, 0);
    KafkaChunk first = b.build(Ticket{0, 1, 0});
    reused = first.input->data();
  }  // the last reference is gone: the buffer goes back to the builder
  b.reset("t2", 0, 3, 2);
  b.add(7, 8, "{}", 2, nullptr, 0);
  KafkaChunk second = b.build(Ticket{0, 1, 2});
  CHECK(second.input->data() == reused);
  const InputChunk& in = *second.input;
  REQUIRE(in.frames.size() == 1);
  CHECK(std::string_view(in.data() + in.frames[0].begin, in.frames[0].size) == "{}");
  CHECK(in.frames[0].offset == 7);
  CHECK(in.source_file == 2);
  CHECK(in.partition == 3);
  CHECK(second.topic() == "t2");
  CHECK(second.key(0).empty());
  CHECK(second.headers_json(0) == "{}");
  CHECK(in.size() == 2 + 2);  // the payload and the topic name
  for (size_t i = in.size(); i < in.padded_size(); ++i) CHECK(in.data()[i] == 0);  // simdjson's padding

  // A chunk still held by a batch is never handed out again.
  b.reset("t3", 0, 3, 2);
  b.add(8, 9, "{}", 2, nullptr, 0);
  KafkaChunk third = b.build(Ticket{0, 1, 3});
  CHECK(third.input->data() != second.input->data());
  CHECK(second.topic() == "t2");
}
