#include <doctest/doctest.h>

#include <simdjson.h>

#include <string>

#include "runtime/decode/ndjson_decoder.h"
#include "runtime/encode/dead_letter_encoder.h"

using namespace pipec;

namespace {

std::string base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) break;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Parses one dead-letter line and returns the original record bytes.
std::string recovered_record(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(std::string(line));
  std::string record{std::string_view(doc["record"])};
  auto encoding = doc["record_encoding"];
  if (encoding.error() == simdjson::SUCCESS) {
    CHECK(std::string_view(encoding) == "base64");
    return base64_decode(record);
  }
  return record;
}

}  // namespace

TEST_CASE("a dead letter from a file is one exact NDJSON line") {
  DeadLetterEncoder encoder("orders", {{"orders_in", "/data/in.ndjson"}});
  ByteBuffer out;
  encoder.encode({"field 'amount': expected DOUBLE, got string \"abc\"", "", R"({"amount":"abc"})",
                  SourcePosition{0, -1, 17}},
                 1704164645678, out);
  CHECK(out.view() ==
        R"({"error":"field 'amount': expected DOUBLE, got string \"abc\"","constraint":null,"pipeline":"orders","source":{"file":"/data/in.ndjson","line":17},"record":"{\"amount\":\"abc\"}","time":"2024-01-02T03:04:05.678Z"})"
        "\n");
}

TEST_CASE("a dead letter from Kafka names topic, partition and offset") {
  DeadLetterEncoder encoder("p", {{"k", "orders"}});
  ByteBuffer out;
  encoder.encode({"amount must be positive", "positive_amount", "{}", SourcePosition{0, 3, 42}}, 0,
                 out);
  CHECK(out.view() ==
        R"({"error":"amount must be positive","constraint":"positive_amount","pipeline":"p","source":{"topic":"orders","partition":3,"offset":42},"record":"{}","time":"1970-01-01T00:00:00.000Z"})"
        "\n");
}

TEST_CASE("records survive byte-exact, whatever they contain") {
  DeadLetterEncoder encoder("p", {{"s", "/f"}});
  const std::string records[] = {
      "{\"a\":1",                                     // malformed JSON
      std::string("tab\there \"q\" \\ \x01\x00 end", 22),  // control chars and NUL
      "caf\xC3\xA9 \xF0\x9F\x98\x80",                 // valid multi-byte UTF-8
      "bad \xFF\xFE utf8 \xC3",                       // invalid UTF-8
      std::string("\x80", 1),
      "",
  };
  for (const std::string& rec : records) {
    CAPTURE(rec);
    ByteBuffer out;
    encoder.encode({"why", "", rec, SourcePosition{0, -1, 1}}, 0, out);
    CHECK(out.view().back() == '\n');
    CHECK(out.view().find('\n') == out.size() - 1);  // exactly one line
    CHECK(recovered_record(out.view()) == rec);
  }
  ByteBuffer out;
  encoder.encode({"why", "", "bad \xFF", SourcePosition{0, -1, 1}}, 0, out);
  CHECK(out.view().find(R"("record":"YmFkIP8=","record_encoding":"base64")") != std::string_view::npos);
}

TEST_CASE("metadata with invalid UTF-8 still yields valid JSON") {
  DeadLetterEncoder encoder("p\xFF", {{"s", "/data/lat\xE9.ndjson"}});
  ByteBuffer out;
  encoder.encode({"err \xC3", "", "{}", SourcePosition{0, -1, 1}}, 0, out);
  CHECK(out.view().find("\"file\":\"/data/lat\xEF\xBF\xBD.ndjson\"") != std::string_view::npos);
  simdjson::dom::parser parser;
  CHECK(parser.parse(std::string(out.view())).error() == simdjson::SUCCESS);
}

TEST_CASE("decode errors flow into dead letters") {
  NdjsonDecoder decoder(DecodeSpec{{{{"a"}, Type::bigint(), true, false}}});
  Batch batch = decoder.make_batch();
  DecodeErrors errors;
  decoder.decode(InputChunk::copy_of("{\"a\":1}\n{\"a\":\"\xFF\"}\n{}\n", 0, 5), batch, errors);
  REQUIRE(errors.errors.size() == 2);
  DeadLetterEncoder encoder("p", {{"s", "in.ndjson"}});
  ByteBuffer out;
  for (const DecodeError& e : errors.errors) encoder.encode({e.reason, "", e.raw, e.pos}, 0, out);
  CHECK(out.view() ==
        R"({"error":"invalid UTF-8 at byte 6","constraint":null,"pipeline":"p","source":{"file":"in.ndjson","line":6},"record":"eyJhIjoi/yJ9","record_encoding":"base64","time":"1970-01-01T00:00:00.000Z"})"
        "\n"
        R"({"error":"field 'a' is NOT NULL but missing","constraint":null,"pipeline":"p","source":{"file":"in.ndjson","line":7},"record":"{}","time":"1970-01-01T00:00:00.000Z"})"
        "\n");
}
