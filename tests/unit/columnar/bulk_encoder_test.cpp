#include <doctest/doctest.h>

#include <limits>
#include <stdexcept>
#include <vector>
#include <string>

#include "runtime/decode/ndjson_decoder.h"
#include "runtime/encode/bulk_encoder.h"

using namespace pipec;

namespace {

DecodeField col(std::vector<std::string> path, TypePtr type, bool raw = false) {
  return DecodeField{std::move(path), std::move(type), false, raw};
}

struct Decoded {
  Batch batch;
  std::shared_ptr<InputChunk> chunk;
};

Decoded decode(const DecodeSpec& spec, std::string_view text) {
  NdjsonDecoder decoder(spec);
  Decoded d{decoder.make_batch(), InputChunk::copy_of(text)};
  DecodeErrors errors;
  decoder.decode(d.chunk, d.batch, errors);
  REQUIRE(errors.total() == 0);
  return d;
}

IndexTemplate::Resolver resolver_for(const DecodeSpec& spec) {
  return [&spec](std::string_view name) -> std::optional<IndexTemplate::Column> {
    for (uint32_t i = 0; i < spec.columns.size(); ++i)
      if (path_display_name(spec.columns[i].path) == name)
        return IndexTemplate::Column{i, spec.columns[i].type->id};
    return std::nullopt;
  };
}

std::string key_id(int64_t order_id) {
  DocumentIdHasher h;
  h.begin_key();
  h.add_bigint(order_id);
  return h.finish();
}

}  // namespace

TEST_CASE("a small batch encodes to byte-exact _bulk NDJSON") {
  DecodeSpec spec{{col({"order_id"}, Type::bigint()), col({"ts"}, Type::timestamp()),
                   col({"amount"}, Type::float64()), col({"device", "os"}, Type::string()),
                   col({"items"}, Type::array(Type::string()), true), col({"note"}, Type::string())}};
  Decoded d = decode(
      spec,
      R"({"order_id":1,"ts":"2024-01-02T03:04:05.678Z","amount":12.5,"device":{"os":"ios"},"items":[{"sku":"a"}],"note":"say \"hi\""})"
      "\n"
      R"({"order_id":2,"ts":"2024-01-03T00:00:00Z","amount":3,"device":{},"items":[],"note":null})"
      "\n"
      R"({"order_id":3,"ts":null,"amount":1})"
      "\n"
      R"({"order_id":4,"ts":"2024-01-03T10:00:00Z","amount":null})"
      "\n");
  REQUIRE(d.batch.size == 4);
  d.batch.row_status[3] = static_cast<uint8_t>(RowStatus::Filtered);

  BulkEncoderConfig config;
  config.index = IndexTemplate::parse("orders-{ts|yyyy.MM.dd}", resolver_for(spec));
  for (uint32_t i = 0; i < spec.columns.size(); ++i)
    config.fields.push_back({path_display_name(spec.columns[i].path), i, spec.columns[i].type,
                             spec.columns[i].raw_json});
  config.id_mode = DocumentIdMode::Key;
  config.id_key = {{"order_id", 0, Type::bigint()}};
  BulkEncoder encoder(config);

  ByteBuffer out;
  out.append("prefix|");
  BulkEncodeResult result;
  encoder.encode(d.batch, out, result);

  std::string doc1 =
      R"({"index":{"_index":"orders-2024.01.02","_id":")" + key_id(1) + "\"}}\n" +
      R"({"order_id":1,"ts":"2024-01-02T03:04:05.678Z","amount":12.5,"device.os":"ios","items":[{"sku":"a"}],"note":"say \"hi\""})" +
      "\n";
  std::string doc2 =
      R"({"index":{"_index":"orders-2024.01.03","_id":")" + key_id(2) + "\"}}\n" +
      R"({"order_id":2,"ts":"2024-01-03T00:00:00.000Z","amount":3.0,"device.os":null,"items":[],"note":null})" +
      "\n";
  CHECK(out.view() == "prefix|" + doc1 + doc2);
  CHECK(key_id(1) == "ce4a7ba5b26ac95d97f135009872d451");  // pinned
  CHECK(result.rows == std::vector<uint32_t>{0, 1});
  CHECK(result.ends == std::vector<size_t>{7 + doc1.size(), 7 + doc1.size() + doc2.size()});
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].row == 2);
  CHECK(result.errors[0].reason == "index template field 'ts' is NULL");
}

TEST_CASE("position ids, fixed index, create action, and no ids") {
  DecodeSpec spec{{col({"a"}, Type::bigint())}};
  std::string text = "{\"a\":1}\n\n{\"a\":2}\n";
  NdjsonDecoder decoder(spec);
  Batch batch = decoder.make_batch();
  DecodeErrors errors;
  auto chunk = InputChunk::copy_of(text, 1, 10);
  decoder.decode(chunk, batch, errors);
  REQUIRE(batch.size == 2);

  BulkEncoderConfig config;
  config.index = IndexTemplate::fixed("logs");
  config.fields = {{"a", 0, Type::bigint()}};
  config.sources = {{"other", "x"}, {"in", "/data/in.ndjson"}};
  config.action = "create";
  BulkEncoder encoder(config);
  ByteBuffer out;
  BulkEncodeResult result;
  encoder.encode(batch, out, result);
  CHECK(out.view() ==
        "{\"create\":{\"_index\":\"logs\",\"_id\":\"" +
            DocumentIdHasher::for_position("in", "/data/in.ndjson", -1, 10) + "\"}}\n{\"a\":1}\n" +
            "{\"create\":{\"_index\":\"logs\",\"_id\":\"" +
            DocumentIdHasher::for_position("in", "/data/in.ndjson", -1, 12) + "\"}}\n{\"a\":2}\n");

  config.id_mode = DocumentIdMode::None;
  config.action = "index";
  config.fields.clear();
  BulkEncoder bare(config);
  ByteBuffer out2;
  bare.encode(batch, out2, result);
  CHECK(out2.view() == "{\"index\":{\"_index\":\"logs\"}}\n{}\n{\"index\":{\"_index\":\"logs\"}}\n{}\n");

  // A position that names no source is a row error, not a crash.
  config.id_mode = DocumentIdMode::Position;
  config.sources.resize(1);
  BulkEncoder missing(config);
  BulkEncodeResult r3;
  ByteBuffer out3;
  missing.encode(batch, out3, r3);
  CHECK(out3.empty());
  REQUIRE(r3.errors.size() == 2);
  CHECK(r3.errors[0].reason == "no source descriptor for source file 1");
  // A row without an id between rows with one leaves no bytes between them
  // (the id is written in place, before the document is committed).
  batch.positions[0].source_file = 0;
  BulkEncodeResult r4;
  ByteBuffer out4;
  missing.encode(batch, out4, r4);
  REQUIRE(r4.errors.size() == 1);
  CHECK(r4.errors[0].row == 1);
  CHECK(r4.rows == std::vector<uint32_t>{0});
  CHECK(out4.view() == "{\"index\":{\"_index\":\"logs\",\"_id\":\"" +
                           DocumentIdHasher::for_position("other", "x", -1, 10) + "\"}}\n{}\n");
  CHECK(r4.ends == std::vector<size_t>{out4.size()});
  missing.encode(batch, out4, r4);  // appends: the rejected row's bytes did not stay
  CHECK(out4.view().substr(out4.size() / 2) == out4.view().substr(0, out4.size() / 2));

  config.action = "delete";
  CHECK_THROWS_AS(BulkEncoder{config}, std::invalid_argument);
  config.action = "index";
  config.id_mode = DocumentIdMode::Key;
  CHECK_THROWS_AS(BulkEncoder{config}, std::invalid_argument);
}

TEST_CASE("index templates render per row and cache per bucket") {
  Batch batch({PhysicalType::Int64, PhysicalType::String}, 8);
  const int64_t ts[] = {1704164645678, 1704164645679, 1704168000000, 1704240000000, -1};
  for (uint32_t r = 0; r < 5; ++r) {
    batch.columns[0].data<int64_t>()[r] = ts[r];
    batch.columns[0].set_valid(r, true);
  }
  batch.size = 5;
  auto resolve = [](std::string_view name) -> std::optional<IndexTemplate::Column> {
    if (name == "ts") return IndexTemplate::Column{0, TypeId::Timestamp};
    if (name == "s") return IndexTemplate::Column{1, TypeId::String};
    return std::nullopt;
  };
  auto hourly = IndexTemplate::parse("ev-{ts|yyyy-MM-dd_HH}h.{ts|mm:ss}", resolve);
  CHECK_FALSE(hourly.is_static());
  std::string err;
  CHECK(*hourly.render(batch, 0, &err) == "ev-2024-01-02_03h.04:05");
  CHECK(*hourly.render(batch, 1, &err) == "ev-2024-01-02_03h.04:05");
  CHECK(*hourly.render(batch, 2, &err) == "ev-2024-01-02_04h.00:00");
  CHECK(*hourly.render(batch, 3, &err) == "ev-2024-01-03_00h.00:00");
  CHECK(*hourly.render(batch, 4, &err) == "ev-1969-12-31_23h.59:59");
  auto monthly = IndexTemplate::parse("m{ts|yyyyMM}", resolve);
  CHECK(*monthly.render(batch, 3, &err) == "m202401");
  CHECK(*monthly.render(batch, 4, &err) == "m196912");
  batch.columns[0].set_valid(4, false);
  CHECK_FALSE(monthly.render(batch, 4, &err).has_value());
  CHECK(err == "index template field 'ts' is NULL");
  CHECK(IndexTemplate::fixed("plain").is_static());

  auto problem = [&](std::string_view text) {
    try {
      IndexTemplate::parse(text, resolve);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("<parsed>");
  };
  // Syntax errors are IndexPattern's (shared with the binder); binding errors are ours.
  CHECK(problem("Orders") ==
        "index template 'Orders': index names may not contain 'O' (lower case, no \\ / * ? \" < > | , # or space)");
  CHECK(problem("_x") == "index template '_x': index names may not start with '_', '-' or '+'");
  CHECK(problem("x-{ts}") == "index template 'x-{ts}': write date patterns as {column|yyyy.MM.dd}");
  CHECK(problem("x-{ts|yyyy") == "index template 'x-{ts|yyyy': '{' at position 3 is not closed");
  CHECK(problem("x-}") == "index template 'x-}': unmatched '}' at position 3");
  CHECK(problem("x-{ts|YYYY.MM.DD}") ==
        "index template 'x-{ts|YYYY.MM.DD}': unknown date pattern letter 'Y' (use yyyy MM dd HH mm ss)");
  CHECK(problem("x-{ts|yyyy\"}") ==
        "index template 'x-{ts|yyyy\"}': index names may not contain '\"', '\\' or control characters");
  CHECK(problem("x-{nope|yyyy}") == "index template 'x-{nope|yyyy}': unknown field 'nope'");
  CHECK(problem("x-{s|yyyy}") == "index template 'x-{s|yyyy}': field 's' is STRING, expected TIMESTAMP");
  CHECK_THROWS_AS(IndexTemplate::fixed("a{b"), std::invalid_argument);
  CHECK(problem("") == "index template '': the index name is empty");
}

TEST_CASE("cached index names equal names rendered afresh, across buckets, NULLs and extreme dates") {
  // A reused template keeps the name while every date part stays in its
  // bucket; a new template per row has nothing cached. Runs within a bucket,
  // both sides of day/hour boundaries, before 1970, far past and future,
  // the int64 extremes, and NULLs in the second part (after the first part
  // moved to a new bucket) must all give the same names.
  std::vector<int64_t> first, second;
  std::vector<bool> second_valid;
  constexpr int64_t kDay = 86'400'000, kHour = 3'600'000;
  auto add = [&](int64_t a, int64_t b, bool b_valid = true) {
    first.push_back(a);
    second.push_back(b);
    second_valid.push_back(b_valid);
  };
  for (int64_t day : {int64_t{0}, int64_t{19723}, int64_t{-1}, int64_t{-719468}, int64_t{2932896}}) {
    const int64_t midnight = day * kDay;
    for (int64_t d : std::initializer_list<int64_t>{-kDay - 1, -kDay, -2 * kHour, -kHour - 1, -1, 0, 1, kHour - 1, kHour,
                                                    kDay - 1, kDay, kDay + 1})
      add(midnight + d, midnight + d);
    add(midnight + 5, midnight - 1);
    add(midnight + 6, midnight - 1, false);  // first part unchanged, second NULL
    add(midnight + kDay, midnight, false);   // first part to the next day, second NULL
    add(midnight + kDay + 3, midnight - 1);  // first part in that day, second as cached before
    add(midnight + 7, midnight - 1);         // back to the bucket cached before the NULLs
    add(midnight + kDay + 1, midnight + 1);
  }
  for (int64_t extreme : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()})
    for (int64_t d = 0; d < 3; ++d) {
      const int64_t ms = extreme < 0 ? extreme + d : extreme - d;
      add(ms, ms);
      add(ms, 0);
    }
  add(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  add(std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min());

  const uint32_t rows = static_cast<uint32_t>(first.size());
  Batch batch({PhysicalType::Int64, PhysicalType::Int64}, (rows + 63) / 64 * 64);
  for (uint32_t r = 0; r < rows; ++r) {
    batch.columns[0].data<int64_t>()[r] = first[r];
    batch.columns[0].set_valid(r, true);
    batch.columns[1].data<int64_t>()[r] = second[r];
    batch.columns[1].set_valid(r, second_valid[r]);
  }
  batch.size = rows;
  auto resolve = [](std::string_view name) -> std::optional<IndexTemplate::Column> {
    if (name == "a") return IndexTemplate::Column{0, TypeId::Timestamp};
    if (name == "b") return IndexTemplate::Column{1, TypeId::Timestamp};
    return std::nullopt;
  };
  for (std::string_view text : {"orders-{a|yyyy.MM.dd}", "x-{a|yyyy.MM.dd}-{b|HH}", "x-{a|yyyyMM}{b|dd.HH:mm:ss}"}) {
    CAPTURE(text);
    IndexTemplate cached = IndexTemplate::parse(text, resolve);
    for (uint32_t r = 0; r < rows; ++r) {
      CAPTURE(r);
      std::string cached_error, fresh_error;
      std::optional<std::string_view> got = cached.render(batch, r, &cached_error);
      IndexTemplate fresh = IndexTemplate::parse(text, resolve);
      std::optional<std::string_view> expected = fresh.render(batch, r, &fresh_error);
      REQUIRE(got.has_value() == expected.has_value());
      if (got) CHECK(*got == *expected);
      else CHECK(cached_error == fresh_error);
    }
  }
}

TEST_CASE("rows with long escaped text and long field names encode byte-exactly") {
  // Values whose escaped form outgrows the room reserved per document (every
  // byte of `quotes` becomes \", every byte of `controls` \u0001), several in
  // one row, among short ones; and a field name longer than the fixed-size
  // copy of key prefixes.
  std::string long_name(100, 'k');
  DecodeSpec spec{{col({"id"}, Type::bigint()), col({"quotes"}, Type::string()), col({"n"}, Type::float64()),
                   col({"controls"}, Type::string()), col({long_name}, Type::string())}};
  std::string quotes_json, controls_json;
  for (int i = 0; i < 3000; ++i) quotes_json += "\\\"";
  for (int i = 0; i < 2000; ++i) controls_json += "\\u0001";
  std::string input;
  for (int id = 1; id <= 3; ++id)
    input += "{\"id\":" + std::to_string(id) + ",\"quotes\":\"" + (id == 2 ? "q" : quotes_json) +
             "\",\"n\":0.5,\"controls\":\"" + controls_json + "\",\"" + long_name + "\":\"v\"}\n";
  Decoded d = decode(spec, input);
  REQUIRE(d.batch.size == 3);

  BulkEncoderConfig config;
  config.index = IndexTemplate::fixed("big");
  for (uint32_t i = 0; i < spec.columns.size(); ++i)
    config.fields.push_back({path_display_name(spec.columns[i].path), i, spec.columns[i].type});
  config.id_mode = DocumentIdMode::Key;
  config.id_key = {{"id", 0, Type::bigint()}};
  BulkEncoder encoder(config);
  ByteBuffer out;
  BulkEncodeResult result;
  encoder.encode(d.batch, out, result);

  std::string quotes_out, controls_out;
  for (int i = 0; i < 3000; ++i) quotes_out += "\\\"";
  for (int i = 0; i < 2000; ++i) controls_out += "\\u0001";
  std::string expected;
  for (int id = 1; id <= 3; ++id)
    expected += "{\"index\":{\"_index\":\"big\",\"_id\":\"" + key_id(id) + "\"}}\n{\"id\":" + std::to_string(id) +
                ",\"quotes\":\"" + (id == 2 ? "q" : quotes_out) + "\",\"n\":0.5,\"controls\":\"" + controls_out +
                "\",\"" + long_name + "\":\"v\"}\n";
  CHECK(out.view() == expected);
  CHECK(result.ends.back() == expected.size());
}
