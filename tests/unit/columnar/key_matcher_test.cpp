#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/decode/key_matcher.h"

using namespace pipec;

namespace {

// find_padded() as the decoder calls it: on the body of a string token in a
// padded record, here followed by `after` (what the record has there).
uint32_t find_in_record(const KeyMatcher& m, const std::string& raw_key,
                        const std::string& after = ":1,\"abcdefghijklmnopqrstuvwxyz\":2}") {
  std::string record = "{\"" + raw_key + "\"" + after + std::string(64, '\0');
  return m.find_padded(std::string_view(record).substr(2, raw_key.size()));
}

KeyMatcher matcher_of(const std::vector<std::string>& keys) {
  std::vector<KeyMatcher::Entry> entries;
  for (size_t i = 0; i < keys.size(); ++i)
    entries.push_back({keys[i], static_cast<uint32_t>(100 + i)});
  return KeyMatcher(std::move(entries));
}

// Every key is found by both lookups, after any bytes; `misses` by neither.
void check_finds(const std::vector<std::string>& keys, const std::vector<std::string>& misses) {
  KeyMatcher m = matcher_of(keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    CAPTURE(keys[i]);
    CHECK(m.find(keys[i]) == 100 + i);
    CHECK(find_in_record(m, keys[i]) == 100 + i);
    CHECK(find_in_record(m, keys[i], " : 1}") == 100 + i);
    // The bytes after the closing quote are not the key's.
    CHECK(find_in_record(m, keys[i], std::string(32, keys[i].empty() ? 'x' : keys[i][0])) ==
          100 + i);
  }
  for (const std::string& miss : misses) {
    CAPTURE(miss);
    CHECK(m.find(miss) == KeyMatcher::kNone);
    CHECK(find_in_record(m, miss) == KeyMatcher::kNone);
  }
}

}  // namespace

TEST_CASE("KeyMatcher: keys sharing lengths and bytes, prefixes and extensions") {
  check_finds({"amount", "status", "device", "ts", "event_type", "order_id", "currency",
               "customer_id"},
              {"", "amoun", "amounts", "Amount", "amounT", "statue", "tS", "t", "tss", "ip",
               "event_typ", "event_types", "order_ie", "items", "user_agent", "shipping"});
  // Same length and first and last byte, differing at byte 1, 7, 8, 15, 16 and beyond.
  check_finds({"abcdefgh", "aXcdefgh", "abcdefgXh", "abcdefghijklmnop", "abcdefghijklmnXp",
               "abcdefghijklmnopqrstu", "abcdefghijklmnopXrstu", "abcdefghijklmnopqrsXu"},
              {"abcdefgX", "abcdefg", "abcdefghi", "abcdefghijklmnoX", "abcdefghijklmnopq",
               "abcdefghijklmnopqrst", "abcdefghijklmnopqrstuv", "aXcdefghijklmnopqrstu",
               "abcdefghijklmnopqrXtu"});
}

TEST_CASE("KeyMatcher: a key alone in its slot is compared at every byte") {
  // Each miss has the hash input (length, first and last byte) of a key.
  check_finds({"abcdefgh", "ijklmnopqrstuvwx", "yzabcdefghijklmnopqrstuvw", "ab", "c"},
              {"aXcdefgh", "abcdefXh", "ijklmnoXqrstuvwx", "ijklmnopXrstuvwx", "ijklmnopqrstuvXx",
               "yzabcdefghijklmnopqrstXvw", "yzabcdefghijklmnoXqrstuvw"});
}

TEST_CASE("KeyMatcher: keys the hash cannot separate share a slot and are all found") {
  // Same length, first and last byte: the same hash input whatever the multiplier.
  check_finds({"aXXb", "aYYb", "aXYb", "aYXb", "ab", "a_b", "aZZZb"},
              {"aZZb", "aXXc", "bXXb", "aXX", "aXXbb", "aXb"});
  check_finds({"prefix_aaaaaaaaaaaaaaaa_suffix", "prefix_aaaaaaaaaaaaaaab_suffix",
               "prefix_baaaaaaaaaaaaaaa_suffix"},
              {"prefix_aaaaaaaaaaaaaaac_suffix", "prefix_aaaaaaaaaaaaaaaa_suffiy",
               "prefix_aaaaaaaaaaaaaaaa_suffi", "prefix_aaaaaaaaaaaaaaaa_suffixx"});
}

TEST_CASE("KeyMatcher: the empty key, non-ASCII keys, and an empty matcher") {
  check_finds({"", "\"", "a"}, {"b", "\"\"", " "});
  check_finds({"\xC3\xA9", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xC3\xA8"},
              {"\xC3\xA9\xC3\xA9", "cafe", "caf\xC3\xA8", "\xE2\x82\xAD", "\xC3"});
  check_finds({}, {"", "a", "amount", "abcdefghijklmnopqrstuvwxyz"});
  // Without the empty key, an empty key in a record (its quotes are its
  // first and last byte) does not match one made of a quote.
  check_finds({"\""}, {""});
}

TEST_CASE("KeyMatcher: raw bytes are compared; escaped spellings match through find()") {
  KeyMatcher m = matcher_of({"a\"b", "back\\slash", "abc"});
  // find_padded() sees the key as the record has it, escapes and all.
  CHECK(find_in_record(m, "a\\\"b") == KeyMatcher::kNone);
  CHECK(find_in_record(m, "back\\\\slash") == KeyMatcher::kNone);
  CHECK(find_in_record(m, "\\u0061bc") == KeyMatcher::kNone);
  // The decoder looks the unescaped form up with find().
  CHECK(m.find("a\"b") == 100);
  CHECK(m.find("back\\slash") == 101);
  CHECK(m.find("abc") == 102);
  // A spec key with a backslash matches the same raw bytes.
  CHECK(find_in_record(m, "back\\slash") == 101);
}

TEST_CASE("KeyMatcher: the first of a repeated key is found") {
  KeyMatcher m(std::vector<KeyMatcher::Entry>{{"k", 1}, {"j", 2}, {"k", 3}});
  CHECK(m.find("k") == 1);
  CHECK(find_in_record(m, "k") == 1);
  CHECK(m.find("j") == 2);
}

TEST_CASE("KeyMatcher: many keys, beyond what one multiplier separates") {
  // 2,000 keys of ~1,500 hash inputs in at most 2^15 slots: no multiplier
  // tried separates them all, so some share slots.
  std::vector<std::string> keys, misses;
  for (int i = 0; i < 2000; ++i) {
    const char first = static_cast<char>('a' + i % 26), last = static_cast<char>('a' + i / 26 % 26);
    keys.push_back(first + std::to_string(i) + last);
    misses.push_back(first + std::to_string(i + 2000) + last);
  }
  check_finds(keys, misses);
}
