// Which source offsets may be committed: per topic-partition tracking of the
// records in flight between a source and the sink's acknowledgements.
//
// A record is tracked when the source hands it out and completes when every
// document derived from it has been acknowledged by the sink or written to the
// dead-letter output. The committable offset of a partition is
//
//     (highest offset O such that EVERY tracked record at or below O is
//      complete) + 1
//
// however out of order completions arrive (batches finishing out of order,
// retries). Offsets between tracked records (compacted away, transaction
// markers) count as complete: only tracked records hold the mark back.
//
// Fan-out: a record starts with a pending count (1 by default). A record that
// yields several documents gets retain(t, n - 1) and is released once per
// document; a filtered record (0 documents) is released once at once.
//
// Partitions: assign() starts a fresh tracking epoch for a partition,
// revoke() drops its state. Tickets of a revoked (or revoked and reassigned)
// partition are stale: releasing them is a counted no-op, so late sink
// acknowledgements of a previous owner never move a new owner's mark.
//
// Cost: track/retain/release are O(1) (amortized for track: the window of a
// partition is a power-of-two ring that doubles when full); the low-water mark
// advances over each record once. Memory: 12 bytes per record between the
// low-water mark and the newest tracked record.
//
// Not thread-safe: the owner serialises calls (KafkaSource holds a mutex).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pipec {

// Names one tracked record. Trivially copyable, 16 bytes.
struct Ticket {
  uint32_t slot = UINT32_MAX;  // the partition's slot in the tracker
  uint32_t epoch = 0;          // which assignment of that slot (0: never valid)
  uint64_t seq = 0;            // the record's sequence number within the epoch

  bool valid() const { return epoch != 0; }
  friend bool operator==(const Ticket&, const Ticket&) = default;
};

enum class AckResult : uint8_t {
  Pending,    // released, but the record still has pending completions
  Completed,  // this release completed the record
  Stale,      // the ticket's partition was revoked (or never assigned): ignored
  Duplicate,  // the record was already complete: ignored
};

// One partition whose committable offset moved past what was last committed.
struct CommitOffset {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = 0;  // the next offset to consume (Kafka commit semantics)
  uint32_t slot = 0;
  uint32_t epoch = 0;
};

struct OffsetTrackerStats {
  uint64_t tracked = 0;          // records tracked
  uint64_t completed = 0;        // records completed
  uint64_t stale_releases = 0;   // releases/retains of revoked partitions' tickets
  uint64_t duplicate_releases = 0;
  uint64_t over_releases = 0;    // releases beyond a record's pending count (clamped)
  uint64_t rejected_tracks = 0;  // track() with a non-increasing offset
};

class OffsetTracker {
 public:
  using Slot = uint32_t;
  static constexpr Slot kNoSlot = UINT32_MAX;

  OffsetTracker() = default;
  OffsetTracker(const OffsetTracker&) = delete;
  OffsetTracker& operator=(const OffsetTracker&) = delete;

  // Starts tracking a partition with empty state and a new epoch. Assigning a
  // partition that is already tracked keeps its state and returns its slot.
  Slot assign(std::string_view topic, int32_t partition);
  // Drops a partition's state; its outstanding tickets become stale. False
  // when the slot is not assigned.
  bool revoke(Slot slot);
  bool revoke(std::string_view topic, int32_t partition);
  // The slot of an assigned partition, or kNoSlot.
  Slot find(std::string_view topic, int32_t partition) const;
  bool assigned(Slot slot) const;
  std::vector<Slot> assigned_slots() const;
  const std::string& topic(Slot slot) const { return slots_[slot].topic; }
  int32_t partition(Slot slot) const { return slots_[slot].partition; }
  uint32_t epoch(Slot slot) const { return slots_[slot].epoch; }

  // Registers the next record of a partition. Offsets must strictly increase
  // within an epoch; otherwise (or when the slot is not assigned) nothing is
  // tracked and an invalid ticket is returned. pending == 0 tracks a record
  // that is complete at once. Consecutive tracks of a slot get consecutive
  // seq numbers, so a source may hand out the first ticket of a run only.
  Ticket track(Slot slot, int64_t offset, uint32_t pending = 1);

  // Adds n pending completions to a record that is not complete yet (fan-out
  // discovered after tracking). False when the ticket is stale or the record
  // already complete (then nothing changes: a complete record stays complete).
  bool retain(Ticket t, uint32_t n);
  // Completes n of the record's pending completions (clamped at what is
  // pending; the excess is counted as over_releases).
  AckResult release(Ticket t, uint32_t n = 1);

  // The offset to commit for a partition: the first incomplete record's
  // offset, or the newest tracked record's offset + 1 when all are complete.
  // nullopt when the slot is not assigned or no record has completed yet.
  std::optional<int64_t> committable(Slot slot) const;
  // Appends every assigned partition whose committable offset is beyond the
  // last committed or requested one. With `slots` non-null, only those.
  void collect_commits(std::vector<CommitOffset>& out, const std::vector<Slot>* slots = nullptr) const;
  // Commit bookkeeping. requested: a commit of `offset` was sent (collect
  // skips it from now on); committed: the broker confirmed it; failed: it did
  // not succeed, so the next collect offers the partition again. Stale
  // slot/epoch pairs are ignored.
  void commit_requested(Slot slot, uint32_t epoch, int64_t offset);
  void commit_succeeded(Slot slot, uint32_t epoch, int64_t offset);
  void commit_failed(Slot slot, uint32_t epoch, int64_t offset);
  // The last offset the broker confirmed in this epoch, or nullopt.
  std::optional<int64_t> committed(Slot slot) const;

  // Records between the low-water mark and the newest tracked record,
  // complete or not (what the ring holds).
  uint64_t window(Slot slot) const;
  // Records of the slot not complete yet.
  uint64_t outstanding(Slot slot) const;
  // Sum of outstanding() over assigned slots.
  uint64_t outstanding() const { return outstanding_total_; }
  // The tracked offset of a live ticket's record (for logs and tests).
  std::optional<int64_t> offset_of(Ticket t) const;
  // The ticket of the record at `offset` (binary search of the window), or an
  // invalid ticket when no record there is tracked or it has been passed by
  // the low-water mark (it is complete). `near`, a ticket of the same slot
  // found just before (rows come in offset order), is tried first: the
  // record itself or the next one.
  Ticket lookup(Slot slot, int64_t offset, Ticket near = {}) const;

  const OffsetTrackerStats& stats() const { return stats_; }

 private:
  struct SlotState {
    std::string topic;
    int32_t partition = -1;
    bool active = false;
    uint32_t epoch = 0;
    // Ring of records [head, tail) by seq; index = seq & mask.
    std::vector<uint32_t> pending;
    std::vector<int64_t> offsets;
    uint64_t mask = 0;
    uint64_t head = 0;  // first record not yet passed by the low-water mark
    uint64_t tail = 0;  // next seq
    int64_t last_offset = -1;      // newest tracked offset (-1: none)
    int64_t done_through = -1;     // offset of the last record passed by the mark (-1: none)
    uint64_t outstanding = 0;
    std::optional<int64_t> requested;  // newest commit sent
    std::optional<int64_t> confirmed;  // newest commit confirmed
  };

  static std::string key_of(std::string_view topic, int32_t partition);
  SlotState* live(Ticket t, uint32_t* index);
  void grow(SlotState& s);
  void advance(SlotState& s);

  std::vector<SlotState> slots_;
  std::vector<Slot> free_;
  std::unordered_map<std::string, Slot> by_name_;
  uint32_t next_epoch_ = 1;
  uint64_t outstanding_total_ = 0;
  OffsetTrackerStats stats_;
};

}  // namespace pipec
