#include "runtime/decode/key_matcher.h"

#include <algorithm>
#include <bit>
#include <numeric>

namespace pipec {

namespace {

// The low n bytes of a little-endian 8-byte load: all of them from 8 on.
uint64_t low_bytes_mask(size_t n) { return n >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1; }

// splitmix64: a fixed sequence of well-mixed odd multipliers to try.
uint64_t next_multiplier(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return (z ^ (z >> 31)) | 1;
}

}  // namespace

uint64_t KeyMatcher::hash_input(std::string_view key) {
  const size_t n = key.size();
  // In a record, an empty key's first and last bytes are its quotes.
  const unsigned char first = n ? static_cast<unsigned char>(key[0]) : '"';
  const unsigned char last = n ? static_cast<unsigned char>(key[n - 1]) : '"';
  return (uint64_t{n} << 16) | (uint64_t{first} << 8) | last;
}

// Tries multipliers for tables of 2-4 slots per distinct hash input up to
// 16-32, until one gives each input its own slot. If none does, the last one
// tried is kept: the inputs it does not separate share slots.
KeyMatcher::KeyMatcher(std::vector<Entry> entries) {
  std::vector<uint64_t> inputs;
  for (const Entry& e : entries) inputs.push_back(hash_input(e.key));
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());

  const uint32_t min_bits = static_cast<uint32_t>(std::bit_width(inputs.size())) + 1;
  std::vector<bool> taken;
  const auto separates = [&] {
    taken.assign(size_t{1} << (64 - shift_), false);
    for (uint64_t x : inputs) {
      if (taken[slot_of(x)]) return false;
      taken[slot_of(x)] = true;
    }
    return true;
  };
  bool found = false;
  for (uint32_t bits = min_bits; bits <= min_bits + 3 && !found; ++bits) {
    uint64_t state = 0;
    shift_ = 64 - bits;
    for (int attempt = 0; attempt < 256 && !found; ++attempt) {
      multiplier_ = next_multiplier(&state);
      found = separates();
    }
  }

  // Entries by slot (stable: the first of equal keys stays first), so that
  // the keys of a shared slot are a range.
  std::vector<uint32_t> order(entries.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return slot_of(hash_input(entries[a].key)) < slot_of(hash_input(entries[b].key));
  });
  for (uint32_t i : order) {
    entry_slots_.push_back(static_cast<uint32_t>(slot_of(hash_input(entries[i].key))));
    entries_.push_back(std::move(entries[i]));
  }

  slots_.assign(size_t{1} << (64 - shift_), Slot{});
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    Slot& s = slots_[entry_slots_[i]];
    if (s.entry != kNone) {  // a second key here: lookups compare the slot's keys
      if (s.entry != kShared) s = Slot{.value = s.entry, .entry = kShared};
      continue;
    }
    const std::string& key = entries_[i].key;
    char head[16] = {};
    std::memcpy(head, key.data(), std::min(key.size(), sizeof head));
    s.lo = load8(head);
    s.hi = load8(head + 8);
    s.lo_mask = low_bytes_mask(key.size());
    s.hi_mask = key.size() > 8 ? low_bytes_mask(key.size() - 8) : 0;
    s.size = key.size();
    s.value = entries_[i].value;
    s.entry = i;
  }
}

uint32_t KeyMatcher::find(std::string_view key) const {
  const size_t slot = slot_of(hash_input(key));
  const Slot& s = slots_[slot];
  if (s.entry == kNone) return kNone;
  if (s.entry != kShared) return entries_[s.entry].key == key ? s.value : kNone;
  for (size_t i = s.value; i < entries_.size() && entry_slots_[i] == slot; ++i)
    if (entries_[i].key == key) return entries_[i].value;
  return kNone;
}

}  // namespace pipec
