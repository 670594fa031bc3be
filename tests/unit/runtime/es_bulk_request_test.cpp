#include <doctest/doctest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/sinks/elasticsearch/bulk_request.h"

using namespace pipec::es;

namespace {
std::string doc(int i, size_t pad = 0) {
  return "{\"index\":{\"_index\":\"t\",\"_id\":\"" + std::to_string(i) + "\"}}\n{\"i\":" + std::to_string(i) +
         ",\"p\":\"" + std::string(pad, 'x') + "\"}\n";
}
}  // namespace

TEST_CASE("es bulk request: from an encoder's body and ends") {
  std::string body = doc(1) + "{\"create\":{\"_index\":\"t\",\"_id\":\"2\"}}\n{\"i\":2}\n" + "{\"delete\":{\"_index\":\"t\",\"_id\":\"3\"}}\n";
  std::vector<size_t> ends{doc(1).size(), body.size() - std::string("{\"delete\":{\"_index\":\"t\",\"_id\":\"3\"}}\n").size(), body.size()};
  std::vector<Ticket> tickets{10, 20, 30};
  BulkRequest r = BulkRequest::from_encoded(body, ends, tickets);
  REQUIRE(r.size() == 3);
  CHECK(r.bytes() == body.size());
  CHECK(r.items()[0].ticket == 10);
  CHECK(r.items()[0].op == BulkOp::Index);
  CHECK(r.items()[1].op == BulkOp::Create);
  CHECK(r.items()[2].op == BulkOp::Delete);
  CHECK(r.item_bytes(0) == doc(1));
  CHECK(r.item_bytes(2) == "{\"delete\":{\"_index\":\"t\",\"_id\":\"3\"}}\n");

  CHECK_THROWS_AS(BulkRequest::from_encoded(body, ends, std::vector<Ticket>{1, 2}), std::invalid_argument);
  std::vector<size_t> short_ends{ends[0], ends[1]};
  CHECK_THROWS_AS(BulkRequest::from_encoded(body, short_ends, std::vector<Ticket>{1, 2}), std::invalid_argument);
  std::vector<size_t> bad_ends{ends[0] - 1, ends[1], ends[2]};  // not on a newline
  CHECK_THROWS_AS(BulkRequest::from_encoded(body, bad_ends, tickets), std::invalid_argument);
  CHECK(BulkRequest::from_encoded("", {}, {}).empty());
}

TEST_CASE("es bulk request: op names") {
  CHECK(parse_bulk_op(R"({"index":{}})") == BulkOp::Index);
  CHECK(parse_bulk_op(R"( { "update" : {"_id":"1"}})") == BulkOp::Update);
  CHECK(parse_bulk_op(R"({"upsert":{}})") == BulkOp::Unknown);
  CHECK(parse_bulk_op("garbage") == BulkOp::Unknown);
  CHECK(std::string(bulk_op_name(BulkOp::Create)) == "create");
}

TEST_CASE("es bulk request: add, append_item keeps attempts, split keeps order") {
  BulkRequest r;
  for (int i = 0; i < 10; ++i) r.add(doc(i, i == 4 ? 500 : 10), static_cast<Ticket>(100 + i), static_cast<uint16_t>(i % 3));
  CHECK_THROWS_AS(r.add("no newline", 1), std::invalid_argument);
  CHECK(r.max_attempts() == 2);

  BulkRequest copy;
  copy.append_item(r, 7);
  CHECK(copy.item_bytes(0) == r.item_bytes(7));
  CHECK(copy.items()[0].ticket == 107);
  CHECK(copy.items()[0].attempts == 1);

  // A run of items lands after what the request holds, offsets shifted.
  BulkRequest run;
  run.add(doc(99), 99);
  run.append_items(r, 3, 6);
  REQUIRE(run.size() == 4);
  CHECK(run.bytes() == doc(99).size() + r.item_bytes(3).size() + r.item_bytes(4).size() + r.item_bytes(5).size());
  for (size_t i = 1; i < 4; ++i) {
    CHECK(run.item_bytes(i) == r.item_bytes(i + 2));
    CHECK(run.items()[i].ticket == 100 + i + 2);
    CHECK(run.items()[i].attempts == r.items()[i + 2].attempts);
    CHECK(run.items()[i].begin == run.items()[i - 1].end);
  }
  CHECK(run.items().back().end == run.bytes());
  run.append_items(r, 5, 5);  // empty run
  CHECK(run.size() == 4);

  size_t total = r.bytes();
  auto pieces = r.split(200, 3);
  CHECK(r.empty());
  std::vector<Ticket> order;
  size_t bytes = 0;
  for (const BulkRequest& p : pieces) {
    CHECK(p.size() <= 3);
    CHECK((p.bytes() <= 200 || p.size() == 1));  // the 500-byte document travels alone
    for (size_t i = 0; i < p.size(); ++i) order.push_back(p.items()[i].ticket);
    bytes += p.bytes();
  }
  CHECK(bytes == total);
  REQUIRE(order.size() == 10);
  for (size_t i = 0; i < order.size(); ++i) CHECK(order[i] == 100 + i);

  BulkRequest small;
  small.add(doc(1), 1);
  auto one = small.split(1 << 20, 100);
  REQUIRE(one.size() == 1);
  CHECK(one[0].size() == 1);
}

TEST_CASE("es gzip round trip") {
  std::mt19937_64 rng(7);
  std::string text;
  for (int i = 0; i < 20000; ++i) text += doc(i, rng() % 50);
  for (int level : {1, 6, 9}) {
    std::string z = gzip_compress(text, level);
    CHECK(z.size() < text.size() / 4);
    CHECK(static_cast<unsigned char>(z[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(z[1]) == 0x8b);
    CHECK(gzip_decompress(z) == text);
  }
  std::string noise(100000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  CHECK(gzip_decompress(gzip_compress(noise)) == noise);
  CHECK(gzip_decompress(gzip_compress("")) == "");
  // Concatenated members read as one stream.
  CHECK(gzip_decompress(gzip_compress("ab") + gzip_compress("cd")) == "abcd");

  // One compressor for bodies of changing sizes: each output is whole and only its own.
  GzipCompressor reused(1);
  for (size_t n : {text.size(), size_t(10), text.size() / 3, size_t(0), text.size()}) {
    std::string part = text.substr(0, n);
    CHECK(gzip_decompress(reused.compress(part)) == part);
  }

  std::string z = gzip_compress(text);
  CHECK_THROWS_AS(gzip_decompress(z.substr(0, z.size() / 2)), std::runtime_error);
  CHECK_THROWS_AS(gzip_decompress("not gzip at all"), std::runtime_error);
  CHECK_THROWS_AS(gzip_decompress(z, 1000), std::runtime_error);  // output cap
}
