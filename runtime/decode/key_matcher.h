// Maps a JSON object key to a child of one level of the decode spec.
//
// The keys are all known when the decoder is built, so the lookup is a
// perfect hash chosen then: the key's length, first and last byte pick a slot
// through a multiplier searched until the spec's keys land in distinct slots,
// and the slot's key is compared by two masked 8-byte loads (plus a memcmp
// beyond 16 bytes). Keys that agree in length, first and last byte cannot be
// told apart by the hash: they share a slot, whose lookups compare them all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace pipec {

class KeyMatcher {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Entry {
    std::string key;
    uint32_t value;
  };

  KeyMatcher() : KeyMatcher(std::vector<Entry>{}) {}
  // Of keys given twice, the first is found.
  explicit KeyMatcher(std::vector<Entry> entries);

  // `key` is the body of a JSON string token inside a padded record: it must
  // be preceded by its opening quote and followed by its closing quote and at
  // least 15 more readable bytes. Compares raw bytes: a key with escapes
  // matches nothing (unless the spec's key has the same backslashes).
  uint32_t find_padded(std::string_view key) const {
    const size_t n = key.size();
    const char* const k = key.data();
    // For n == 0 the first and last bytes are the closing and opening quotes.
    const uint64_t x = (uint64_t{n} << 16) | (uint64_t{static_cast<unsigned char>(k[0])} << 8) |
                       static_cast<unsigned char>(k[static_cast<ptrdiff_t>(n) - 1]);
    const Slot& s = slots_[slot_of(x)];
    if (n == s.size && (load8(k) & s.lo_mask) == s.lo && (load8(k + 8) & s.hi_mask) == s.hi &&
        (n <= 16 || std::memcmp(entries_[s.entry].key.data() + 16, k + 16, n - 16) == 0))
      return s.value;
    return s.entry == kShared ? find(key) : kNone;
  }

  // Any key, wherever it is (unescaped keys live in simdjson's string buffer).
  uint32_t find(std::string_view key) const;

 private:
  static constexpr uint32_t kShared = kNone - 1;  // Slot::entry of keys the hash cannot separate

  struct Slot {
    uint64_t lo = 0, hi = 0;            // bytes 0-7 and 8-15 of the key, zero-padded
    uint64_t lo_mask = 0, hi_mask = 0;  // the key's bytes among them
    uint64_t size = UINT64_MAX;         // the key's length; no key has this one
    uint32_t value = kNone;             // of a shared slot: its first entry
    uint32_t entry = kNone;             // index in entries_, or kShared
  };

  static uint64_t load8(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  // What find_padded() hashes: the length, first and last byte.
  static uint64_t hash_input(std::string_view key);
  size_t slot_of(uint64_t hash_input) const { return (hash_input * multiplier_) >> shift_; }

  std::vector<Entry> entries_;  // by slot
  std::vector<uint32_t> entry_slots_;
  std::vector<Slot> slots_;
  uint64_t multiplier_ = 0;
  uint32_t shift_ = 63;  // 64 - log2(slots_.size())
};

}  // namespace pipec
