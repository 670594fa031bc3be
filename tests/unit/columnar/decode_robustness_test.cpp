#include <doctest/doctest.h>

#include <simdjson.h>

#include <random>
#include <set>
#include <string>

#include "runtime/decode/ndjson_decoder.h"
#include "runtime/decode/utf8.h"

using namespace pipec;

namespace {

const std::string kSeeds[] = {
    R"({"order_id":123,"ts":"2024-01-02T03:04:05.123+01:00","amount":12.5,"device":{"os":"ios","v":[1,2,{"x":null}]},"items":[{"sku":"a\"b","qty":2}],"ok":true,"note":"caf\u00e9"})",
    R"({"device":{"os":"android"},"order_id":-5,"ts":1704164645678,"amount":-1e3,"items":[],"ok":false})",
    // No backslash anywhere: the decoder skips string checks for such records.
    R"({"device":{"os":"web","model":null},"order_id":7,"ts":1704164645678,"items":[{"sku":"x","qty":1,"price":4.9},{"sku":"y","qty":2,"price":0.5}],"shipping":{"city":"Paris","country":"FR"},"ok":true})",
};

// One seed with 1-4 random single-byte edits (insert, delete, replace), on one line.
std::string mutated(std::mt19937& rng, int i) {
  static const char alphabet[] = "{}[]\":,\\ 0123456789.eE+-tfnul\"abc\x01\xC3\xA9\xFF";
  std::string r = kSeeds[i % std::size(kSeeds)];
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    size_t pos = rng() % (r.size() + 1);
    switch (rng() % 3) {
      case 0: r.insert(pos, 1, alphabet[rng() % (sizeof alphabet - 1)]); break;
      case 1: if (pos < r.size()) r.erase(pos, 1); break;
      default: if (pos < r.size()) r[pos] = alphabet[rng() % (sizeof alphabet - 1)]; break;
    }
  }
  for (char& c : r) if (c == '\n') c = ' ';
  return r;
}

}  // namespace

// Mutated records must never crash the decoder, and every record must end up
// either as a row or as exactly one error.
TEST_CASE("randomly mutated records are rows or errors, never crashes") {
  DecodeSpec spec{{{{"order_id"}, Type::bigint(), true, false},
                   {{"ts"}, Type::timestamp(), false, false},
                   {{"amount"}, Type::float64(), false, false},
                   {{"device"}, Type::row({{"os", Type::string(), false}}), false, true},
                   {{"device", "os"}, Type::string(), false, false},
                   {{"items"}, Type::array(Type::string()), false, true},
                   {{"ok"}, Type::boolean(), false, false},
                   {{"note"}, Type::string(), false, false}}};
  std::mt19937 rng(1234);
  for (bool validate : {true, false}) {
    DecodeOptions options;
    options.validate_unused = validate;
    options.max_depth = 4;
    NdjsonDecoder decoder(spec, options);
    std::string text;
    size_t records = 0;
    for (int i = 0; i < 3000; ++i) {
      std::string r = mutated(rng, i);
      bool blank = r.find_first_not_of(" \t\r") == std::string::npos;
      if (!blank) ++records;
      text += r;
      text += '\n';
    }
    auto chunk = InputChunk::copy_of(text);
    DecodeErrors errors;
    DecodeCursor cursor;
    uint64_t rows = 0;
    for (bool done = false; !done;) {
      Batch batch = decoder.make_batch(512);
      done = decoder.decode(chunk, batch, errors, cursor);
      rows += batch.size;
      for (uint32_t r = 0; r < batch.size; ++r) {
        // Every decoded string lies in the chunk or the arena and is valid UTF-8.
        for (uint32_t c : {3u, 4u, 5u, 7u}) {
          if (batch.columns[c].is_valid(r))
            CHECK(is_valid_utf8(batch.columns[c].data<StringRef>()[r].view()));
        }
        CHECK(batch.columns[0].is_valid(r));
      }
    }
    CHECK(rows + errors.errors.size() == records);
    CHECK(errors.total() == errors.errors.size());
    CHECK(rows > 0);
    CHECK(errors.errors.size() > 0);
    for (const DecodeError& e : errors.errors) CHECK_FALSE(e.reason.empty());
  }
}

// The decoder validates what it skips: a record is malformed (or invalid
// UTF-8) exactly when simdjson's DOM parser, which validates everything,
// rejects it, whichever fields the spec decodes.
TEST_CASE("a mutated record is malformed exactly when a full JSON parser rejects it") {
  std::mt19937 rng(99);
  std::vector<std::string> records;
  std::string text;
  for (int i = 0; i < 6000; ++i) {
    std::string r = mutated(rng, i);
    if (r.find_first_not_of(" \t\r") == std::string::npos) continue;
    records.push_back(r);
    text += r + "\n";
  }
  simdjson::dom::parser full;
  std::set<uint64_t> rejected_lines, out_of_range_lines;  // 1-based, as the decoder counts
  for (size_t i = 0; i < records.size(); ++i) {
    auto error = full.parse(records[i]).error();
    // The DOM parser also rejects well-formed numbers beyond double or int64
    // range (1E999), which the decoder only rejects in columns that read them.
    if (error == simdjson::NUMBER_ERROR) out_of_range_lines.insert(i + 1);
    else if (error) rejected_lines.insert(i + 1);
  }
  REQUIRE(rejected_lines.size() > 100);
  REQUIRE(rejected_lines.size() < records.size() - 100);

  // Few decoded columns (most of each record is skipped), and all of them.
  for (std::vector<std::string> keys : {std::vector<std::string>{"ok"},
                                        std::vector<std::string>{"order_id", "ts", "ok", "note", "shipping"}}) {
    DecodeSpec spec;
    for (const std::string& k : keys) spec.columns.push_back({{k}, Type::string(), false, true});
    NdjsonDecoder decoder(spec);
    auto chunk = InputChunk::copy_of(text);
    DecodeErrors errors;
    DecodeCursor cursor;
    for (bool done = false; !done;) {
      Batch batch = decoder.make_batch(512);
      done = decoder.decode(chunk, batch, errors, cursor);
    }
    std::set<uint64_t> malformed_lines;
    for (const DecodeError& e : errors.errors) {
      if (e.kind == DecodeErrorKind::MalformedJson || e.kind == DecodeErrorKind::InvalidUtf8)
        malformed_lines.insert(e.pos.line_or_offset);
    }
    for (uint64_t line : rejected_lines) {
      INFO(records[line - 1]);
      CHECK(malformed_lines.count(line) == 1);
    }
    for (uint64_t line : malformed_lines) {
      INFO(records[line - 1]);
      CHECK(rejected_lines.count(line) + out_of_range_lines.count(line) == 1);
    }
  }
}
