#include <doctest/doctest.h>

#include <random>
#include <string>

#include "runtime/decode/ndjson_decoder.h"
#include "runtime/decode/utf8.h"

using namespace pipec;

// Mutated records must never crash the decoder, and every record must end up
// either as a row or as exactly one error.
TEST_CASE("randomly mutated records are rows or errors, never crashes") {
  const std::string seeds[] = {
      R"({"order_id":123,"ts":"2024-01-02T03:04:05.123+01:00","amount":12.5,"device":{"os":"ios","v":[1,2,{"x":null}]},"items":[{"sku":"a\"b","qty":2}],"ok":true,"note":"caf\u00e9"})",
      R"({"device":{"os":"android"},"order_id":-5,"ts":1704164645678,"amount":-1e3,"items":[],"ok":false})",
  };
  DecodeSpec spec{{{{"order_id"}, Type::bigint(), true, false},
                   {{"ts"}, Type::timestamp(), false, false},
                   {{"amount"}, Type::float64(), false, false},
                   {{"device"}, Type::row({{"os", Type::string(), false}}), false, true},
                   {{"device", "os"}, Type::string(), false, false},
                   {{"items"}, Type::array(Type::string()), false, true},
                   {{"ok"}, Type::boolean(), false, false},
                   {{"note"}, Type::string(), false, false}}};
  const char alphabet[] = "{}[]\":,\\ 0123456789.eE+-tfnul\"abc\x01\xC3\xA9\xFF";
  std::mt19937 rng(1234);
  for (bool validate : {true, false}) {
    DecodeOptions options;
    options.validate_unused = validate;
    options.max_depth = 4;
    NdjsonDecoder decoder(spec, options);
    std::string text;
    size_t records = 0;
    for (int i = 0; i < 3000; ++i) {
      std::string r = seeds[i % 2];
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
