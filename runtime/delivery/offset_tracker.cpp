#include "runtime/delivery/offset_tracker.h"

#include <algorithm>

namespace pipec {

namespace {
constexpr uint64_t kInitialRing = 64;
}

std::string OffsetTracker::key_of(std::string_view topic, int32_t partition) {
  std::string key(topic);
  key.push_back('\0');
  key.append(std::to_string(partition));
  return key;
}

OffsetTracker::Slot OffsetTracker::assign(std::string_view topic, int32_t partition) {
  std::string key = key_of(topic, partition);
  if (auto it = by_name_.find(key); it != by_name_.end()) return it->second;
  Slot slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<Slot>(slots_.size());
    slots_.emplace_back();
  }
  SlotState& s = slots_[slot];
  s = SlotState{};
  s.topic.assign(topic);
  s.partition = partition;
  s.active = true;
  s.epoch = next_epoch_++;
  if (next_epoch_ == 0) next_epoch_ = 1;  // 0 marks invalid tickets
  s.pending.assign(kInitialRing, 0);
  s.offsets.assign(kInitialRing, 0);
  s.mask = kInitialRing - 1;
  by_name_.emplace(std::move(key), slot);
  return slot;
}

bool OffsetTracker::revoke(Slot slot) {
  if (!assigned(slot)) return false;
  SlotState& s = slots_[slot];
  by_name_.erase(key_of(s.topic, s.partition));
  outstanding_total_ -= s.outstanding;
  uint32_t epoch = s.epoch;
  s = SlotState{};
  s.epoch = epoch;  // kept so that stale tickets stay distinguishable
  free_.push_back(slot);
  return true;
}

bool OffsetTracker::revoke(std::string_view topic, int32_t partition) {
  Slot slot = find(topic, partition);
  return slot != kNoSlot && revoke(slot);
}

OffsetTracker::Slot OffsetTracker::find(std::string_view topic, int32_t partition) const {
  auto it = by_name_.find(key_of(topic, partition));
  return it == by_name_.end() ? kNoSlot : it->second;
}

bool OffsetTracker::assigned(Slot slot) const { return slot < slots_.size() && slots_[slot].active; }

std::vector<OffsetTracker::Slot> OffsetTracker::assigned_slots() const {
  std::vector<Slot> out;
  for (Slot i = 0; i < slots_.size(); ++i)
    if (slots_[i].active) out.push_back(i);
  return out;
}

void OffsetTracker::grow(SlotState& s) {
  uint64_t cap = s.mask + 1;
  std::vector<uint32_t> pending(cap * 2, 0);
  std::vector<int64_t> offsets(cap * 2, 0);
  uint64_t new_mask = cap * 2 - 1;
  for (uint64_t seq = s.head; seq < s.tail; ++seq) {
    pending[seq & new_mask] = s.pending[seq & s.mask];
    offsets[seq & new_mask] = s.offsets[seq & s.mask];
  }
  s.pending = std::move(pending);
  s.offsets = std::move(offsets);
  s.mask = new_mask;
}

void OffsetTracker::advance(SlotState& s) {
  while (s.head < s.tail && s.pending[s.head & s.mask] == 0) {
    s.done_through = s.offsets[s.head & s.mask];
    ++s.head;
  }
}

Ticket OffsetTracker::track(Slot slot, int64_t offset, uint32_t pending) {
  if (!assigned(slot)) {
    ++stats_.rejected_tracks;
    return {};
  }
  SlotState& s = slots_[slot];
  if (offset < 0 || offset <= s.last_offset) {
    ++stats_.rejected_tracks;
    return {};
  }
  if (s.tail - s.head > s.mask) grow(s);
  uint64_t seq = s.tail++;
  s.pending[seq & s.mask] = pending;
  s.offsets[seq & s.mask] = offset;
  s.last_offset = offset;
  ++stats_.tracked;
  if (pending == 0) {
    ++stats_.completed;
    advance(s);
  } else {
    ++s.outstanding;
    ++outstanding_total_;
  }
  return Ticket{slot, s.epoch, seq};
}

OffsetTracker::SlotState* OffsetTracker::live(Ticket t, uint32_t* index) {
  if (t.slot >= slots_.size()) return nullptr;
  SlotState& s = slots_[t.slot];
  if (!s.active || s.epoch != t.epoch || t.seq >= s.tail) return nullptr;
  *index = static_cast<uint32_t>(t.seq & s.mask);
  return &s;
}

bool OffsetTracker::retain(Ticket t, uint32_t n) {
  uint32_t i;
  SlotState* s = live(t, &i);
  if (!s) {
    ++stats_.stale_releases;
    return false;
  }
  if (t.seq < s->head || s->pending[i] == 0) return false;
  s->pending[i] += n;
  return true;
}

AckResult OffsetTracker::release(Ticket t, uint32_t n) {
  uint32_t i;
  SlotState* s = live(t, &i);
  if (!s) {
    ++stats_.stale_releases;
    return AckResult::Stale;
  }
  if (t.seq < s->head || s->pending[i] == 0) {
    ++stats_.duplicate_releases;
    return AckResult::Duplicate;
  }
  uint32_t& p = s->pending[i];
  if (n > p) {
    stats_.over_releases += n - p;
    n = p;
  }
  p -= n;
  if (p) return AckResult::Pending;
  ++stats_.completed;
  --s->outstanding;
  --outstanding_total_;
  if (t.seq == s->head) advance(*s);
  return AckResult::Completed;
}

std::optional<int64_t> OffsetTracker::committable(Slot slot) const {
  if (!assigned(slot)) return std::nullopt;
  const SlotState& s = slots_[slot];
  if (s.done_through < 0) return std::nullopt;
  if (s.head < s.tail) return s.offsets[s.head & s.mask];
  return s.done_through + 1;
}

void OffsetTracker::collect_commits(std::vector<CommitOffset>& out, const std::vector<Slot>* only) const {
  auto consider = [&](Slot slot) {
    std::optional<int64_t> c = committable(slot);
    if (!c) return;
    const SlotState& s = slots_[slot];
    int64_t sent = std::max(s.requested.value_or(-1), s.confirmed.value_or(-1));
    if (*c > sent) out.push_back(CommitOffset{s.topic, s.partition, *c, slot, s.epoch});
  };
  if (only) {
    for (Slot slot : *only) consider(slot);
  } else {
    for (Slot slot = 0; slot < slots_.size(); ++slot) consider(slot);
  }
}

void OffsetTracker::commit_requested(Slot slot, uint32_t epoch, int64_t offset) {
  if (!assigned(slot) || slots_[slot].epoch != epoch) return;
  SlotState& s = slots_[slot];
  s.requested = std::max(s.requested.value_or(-1), offset);
}

void OffsetTracker::commit_succeeded(Slot slot, uint32_t epoch, int64_t offset) {
  if (!assigned(slot) || slots_[slot].epoch != epoch) return;
  SlotState& s = slots_[slot];
  s.confirmed = std::max(s.confirmed.value_or(-1), offset);
}

void OffsetTracker::commit_failed(Slot slot, uint32_t epoch, int64_t offset) {
  if (!assigned(slot) || slots_[slot].epoch != epoch) return;
  SlotState& s = slots_[slot];
  // Offer the partition again: the request is forgotten unless a newer one
  // has been sent since (its own result will settle it).
  if (s.requested && *s.requested <= offset) s.requested = s.confirmed;
}

std::optional<int64_t> OffsetTracker::committed(Slot slot) const {
  if (!assigned(slot)) return std::nullopt;
  return slots_[slot].confirmed;
}

uint64_t OffsetTracker::window(Slot slot) const {
  if (!assigned(slot)) return 0;
  return slots_[slot].tail - slots_[slot].head;
}

uint64_t OffsetTracker::outstanding(Slot slot) const {
  return assigned(slot) ? slots_[slot].outstanding : 0;
}

std::optional<int64_t> OffsetTracker::offset_of(Ticket t) const {
  if (t.slot >= slots_.size()) return std::nullopt;
  const SlotState& s = slots_[t.slot];
  if (!s.active || s.epoch != t.epoch || t.seq >= s.tail || t.seq < s.head) return std::nullopt;
  return s.offsets[t.seq & s.mask];
}

Ticket OffsetTracker::lookup(Slot slot, int64_t offset, Ticket near) const {
  if (!assigned(slot)) return {};
  const SlotState& s = slots_[slot];
  uint64_t lo = s.head, hi = s.tail;  // first seq in [lo, hi) whose offset >= offset
  if (near.slot == slot && near.epoch == s.epoch && near.seq >= s.head && near.seq < s.tail) {
    // Offsets increase by at least 1 per record: the record at `offset` is
    // at most offset - near's offset records further, exactly that far when
    // no offsets are missing in between (the usual case).
    int64_t from = s.offsets[near.seq & s.mask];
    if (offset >= from) {
      uint64_t guess = near.seq + static_cast<uint64_t>(offset - from);
      if (guess < s.tail && s.offsets[guess & s.mask] == offset) return Ticket{slot, s.epoch, guess};
      lo = near.seq;
      hi = std::min(hi, guess + 1);
    } else {
      hi = near.seq;
    }
  }
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (s.offsets[mid & s.mask] < offset) lo = mid + 1;
    else hi = mid;
  }
  if (lo == s.tail || s.offsets[lo & s.mask] != offset) return {};
  return Ticket{slot, s.epoch, lo};
}

}  // namespace pipec
