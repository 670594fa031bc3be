#include <doctest/doctest.h>

#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

TEST_CASE("sha256 / sha1 / md5 known vectors") {
  CHECK(str("sha256", {S("")}) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(str("sha256", {S("abc")}) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(str("sha256", {S("h\xC3\xA9llo")}) == "3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179");
  CHECK(str("sha1", {S("abc")}) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(str("md5", {S("")}) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(str("md5", {S("abc")}) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(str("sha256", {S(std::string("a\0b", 3))}) == str("sha256", {S(std::string("a\0b", 3))}));
  CHECK(str("sha256", {S(std::string("a\0b", 3))}) != str("sha256", {S("a")}));  // NUL bytes are hashed
  CHECK(str("sha256", {N(TypeId::String)}) == "<NULL>");
  CHECK(str("md5", {N()}) == "<NULL>");
}

TEST_CASE("xxhash64: XXH64 seed 0 as a signed BIGINT") {
  CHECK(call("xxhash64", {S("")}).i == -1205034819632174695);  // 0xef46db3751d8e999
  CHECK(call("xxhash64", {S("abc")}).i == 4952883123889572249);  // 0x44bc2cf5ad770999
  CHECK(call("xxhash64", {S("h\xC3\xA9llo")}).i == 4310053764713069540);
  CHECK(call("xxhash64", {S("The quick brown fox jumps over the lazy dog")}).i == 802816344064684476);
  std::string bytes;
  for (int i = 0; i < 100; ++i) bytes.push_back(static_cast<char>(i));
  CHECK(call("xxhash64", {S(bytes)}).i == 7692681977284421015);  // > 32 bytes: the striped path
  CHECK(call("xxhash64", {S("x")}).type == TypeId::BigInt);
  CHECK(call("xxhash64", {N(TypeId::String)}).is_null);
}

TEST_CASE("uuid_v5 (RFC 4122 name-based, SHA-1)") {
  const std::string dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  const std::string url = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
  CHECK(str("uuid_v5", {S(dns), S("python.org")}) == "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  CHECK(str("uuid_v5", {S(url), S("https://example.com")}) == "4fd35a71-71ef-5a55-a9d9-aa75c889a6d0");
  CHECK(str("uuid_v5", {S(dns), S("")}) == "4ebd0208-8328-5d69-8c44-ec50939c0967");
  CHECK(str("uuid_v5", {S(dns), S("h\xC3\xA9llo")}) == "5ca283f8-ff14-58cb-ba86-bf52120a3414");
  // Upper case and unhyphenated namespaces are accepted.
  CHECK(str("uuid_v5", {S("6BA7B810-9DAD-11D1-80B4-00C04FD430C8"), S("python.org")}) ==
        "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  CHECK(str("uuid_v5", {S("6ba7b8109dad11d180b400c04fd430c8"), S("python.org")}) ==
        "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  // Invalid namespaces are NULL.
  for (const char* bad : {"", "not-a-uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c", "6ba7b810x9dad-11d1-80b4-00c04fd430c8",
                          "6ba7b810-9dad-11d1-80b4-00c04fd430cg", "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
                          "6ba7b8109dad11d180b400c04fd430c8--"})
    CHECK_MESSAGE(str("uuid_v5", {S(bad), S("x")}) == "<NULL>", bad);
  // One argument: the fixed pipec namespace, uuid_v5(dns, 'pipec.dev').
  CHECK(str("uuid_v5", {S(dns), S("pipec.dev")}) == "69792dcf-b153-5df8-b25e-d856153c17d9");
  CHECK(str("uuid_v5", {S("user-42")}) == "ec392340-220e-5775-8b5f-eaa48bb40d46");
  CHECK(str("uuid_v5", {S("user-42")}) == str("uuid_v5", {S("69792dcf-b153-5df8-b25e-d856153c17d9"), S("user-42")}));
  std::string u = str("uuid_v5", {S("anything")});
  CHECK(u.size() == 36);
  CHECK(u[14] == '5');                                   // version
  CHECK(std::string("89ab").find(u[19]) != std::string::npos);  // variant
  CHECK(str("uuid_v5", {N(TypeId::String)}) == "<NULL>");
  CHECK(str("uuid_v5", {S(dns), N(TypeId::String)}) == "<NULL>");
}
