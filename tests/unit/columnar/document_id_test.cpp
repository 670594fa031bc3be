#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>

#include <xxhash.h>

#include "runtime/encode/document_id.h"

using namespace pipec;

namespace {
std::string key_id(std::initializer_list<std::string_view> strings) {
  DocumentIdHasher h;
  h.begin_key();
  for (auto s : strings) h.add_string(s);
  return h.finish();
}

std::string hex128(const std::string& bytes) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(bytes.data(), bytes.size()));
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : c.digest) out += kHex[byte >> 4], out += kHex[byte & 15];
  return out;
}

std::string le64(uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>(v >> (8 * i));
  return s;
}
}  // namespace

TEST_CASE("document id test vectors are pinned") {
  // These values must never change: they are the _id of documents already
  // written by earlier versions. A change here is a breaking change.
  CHECK(hex128("") == "99aa06d3014798d86001c324468d497f");  // XXH3-128 of nothing
  DocumentIdHasher h;
  h.begin_key();
  h.add_string("order-1");
  h.add_bigint(42);
  CHECK(h.finish() == "197a21aa585ce9062e5bfc288bbe06ea");
  CHECK(DocumentIdHasher::for_position("orders_in", "/data/orders.ndjson", -1, 17) == "a2e017cc64a13755f1e8494314062f3d");
  CHECK(DocumentIdHasher::for_position("orders_kafka", "orders", 3, 1000) == "a71268557826014a0aca992090d9aa99");
}

TEST_CASE("the id is XXH3-128 of the documented canonical encoding") {
  DocumentIdHasher h;
  h.begin_key();
  h.add_string("order-1");
  h.add_bigint(42);
  h.add_null();
  h.add_bool(true);
  h.add_double(1.5);
  h.add_timestamp(-1);
  h.add_interval(7);
  h.add_json("[1]");
  std::string e = "pipec-id-v1:key";
  e += '\x04' + le64(7) + "order-1";
  e += '\x02' + le64(42);
  e += '\x00';
  e += std::string("\x01\x01", 2);
  e += '\x03' + le64(0x3FF8000000000000ULL);
  e += '\x05' + le64(~uint64_t{0});
  e += '\x06' + le64(7);
  e += '\x07' + le64(3) + "[1]";
  CHECK(h.finish() == hex128(e));

  std::string p = "pipec-id-v1:pos";
  p += '\x04' + le64(1) + "s";
  p += '\x04' + le64(1) + "f";
  p += '\x02' + le64(~uint64_t{0});
  p += '\x02' + le64(9);
  CHECK(DocumentIdHasher::for_position("s", "f", -1, 9) == hex128(p));
}

TEST_CASE("the encoding keeps distinct keys apart") {
  CHECK(key_id({"a", "bc"}) != key_id({"ab", "c"}));
  CHECK(key_id({"", "a"}) != key_id({"a", ""}));
  CHECK(key_id({"a"}) != key_id({"a", ""}));

  auto one = [](auto add) {
    DocumentIdHasher h;
    h.begin_key();
    add(h);
    return h.finish();
  };
  std::set<std::string> ids = {
      one([](DocumentIdHasher& h) { h.add_null(); }),
      one([](DocumentIdHasher& h) { h.add_string(""); }),
      one([](DocumentIdHasher& h) { h.add_string("1"); }),
      one([](DocumentIdHasher& h) { h.add_bigint(1); }),
      one([](DocumentIdHasher& h) { h.add_timestamp(1); }),
      one([](DocumentIdHasher& h) { h.add_interval(1); }),
      one([](DocumentIdHasher& h) { h.add_double(1.0); }),
      one([](DocumentIdHasher& h) { h.add_bool(true); }),
      one([](DocumentIdHasher& h) { h.add_json("1"); }),
      one([](DocumentIdHasher& h) { h.add_null(); h.add_null(); }),
  };
  CHECK(ids.size() == 10);

  // -0.0 and 0.0 are one key, as are all NaNs.
  CHECK(one([](DocumentIdHasher& h) { h.add_double(-0.0); }) ==
        one([](DocumentIdHasher& h) { h.add_double(0.0); }));
  CHECK(one([](DocumentIdHasher& h) { h.add_double(std::nan("1")); }) ==
        one([](DocumentIdHasher& h) { h.add_double(-std::nan("2")); }));
  // Key ids and position ids live in different domains.
  DocumentIdHasher k;
  k.begin_key();
  k.add_string("s");
  k.add_string("f");
  k.add_bigint(-1);
  k.add_bigint(9);
  CHECK(k.finish() != DocumentIdHasher::for_position("s", "f", -1, 9));
  CHECK(DocumentIdHasher::for_position("s", "f", -1, 9) != DocumentIdHasher::for_position("s", "f", -1, 10));
  CHECK(DocumentIdHasher::for_position("s", "f", 0, 9) != DocumentIdHasher::for_position("s", "f", -1, 9));
}

TEST_CASE("column values hash like the typed adders") {
  Vector s(PhysicalType::String, 2), i(PhysicalType::Int64, 2);
  s.data<StringRef>()[0] = StringRef::of("abc");
  s.set_valid(0, true);
  i.data<int64_t>()[0] = 5;
  i.set_valid(0, true);
  DocumentIdHasher a, b;
  a.begin_key();
  a.add_value(s, 0, TypeId::String);
  a.add_value(i, 0, TypeId::Timestamp);
  a.add_value(s, 1, TypeId::String);  // NULL row
  b.begin_key();
  b.add_string("abc");
  b.add_timestamp(5);
  b.add_null();
  CHECK(a.finish() == b.finish());
  char buf[kDocumentIdLength];
  a.finish(buf);
  CHECK(std::string(buf, kDocumentIdLength) == a.finish());
}
