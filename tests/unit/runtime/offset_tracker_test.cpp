#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "runtime/delivery/offset_tracker.h"

using namespace pipec;

TEST_CASE("offset tracker: in-order acknowledgements move the mark one by one") {
  OffsetTracker t;
  auto s = t.assign("orders", 0);
  CHECK(t.committable(s) == std::nullopt);
  Ticket a = t.track(s, 10);
  Ticket b = t.track(s, 11);
  Ticket c = t.track(s, 12);
  CHECK(t.committable(s) == std::nullopt);  // nothing complete yet
  CHECK(t.outstanding(s) == 3);
  CHECK(t.release(a) == AckResult::Completed);
  CHECK(t.committable(s) == 11);
  CHECK(t.release(b) == AckResult::Completed);
  CHECK(t.committable(s) == 12);
  CHECK(t.release(c) == AckResult::Completed);
  CHECK(t.committable(s) == 13);
  CHECK(t.outstanding(s) == 0);
  CHECK(t.window(s) == 0);
  CHECK(t.outstanding() == 0);
}

TEST_CASE("offset tracker: out-of-order acknowledgements hold the mark at the first gap") {
  OffsetTracker t;
  auto s = t.assign("orders", 3);
  std::vector<Ticket> k;
  for (int64_t o = 100; o < 105; ++o) k.push_back(t.track(s, o));
  CHECK(t.release(k[4]) == AckResult::Completed);
  CHECK(t.release(k[2]) == AckResult::Completed);
  CHECK(t.committable(s) == std::nullopt);
  CHECK(t.release(k[0]) == AckResult::Completed);
  CHECK(t.committable(s) == 101);
  CHECK(t.release(k[1]) == AckResult::Completed);
  CHECK(t.committable(s) == 103);  // 102 done too, 103 pending
  CHECK(t.window(s) == 2);
  CHECK(t.release(k[3]) == AckResult::Completed);
  CHECK(t.committable(s) == 105);
}

TEST_CASE("offset tracker: offsets between tracked records (compaction, markers) do not hold the mark") {
  OffsetTracker t;
  auto s = t.assign("compacted", 0);
  Ticket a = t.track(s, 5);
  Ticket b = t.track(s, 9);   // 6..8 compacted away
  Ticket c = t.track(s, 20);  // a transaction marker at 19, say
  t.release(a);
  CHECK(t.committable(s) == 9);
  t.release(c);
  CHECK(t.committable(s) == 9);
  t.release(b);
  CHECK(t.committable(s) == 21);
  CHECK(t.offset_of(c) == std::nullopt);  // passed by the mark
}

TEST_CASE("offset tracker: fan-out via pending counts and retain") {
  OffsetTracker t;
  auto s = t.assign("t", 0);
  Ticket filtered = t.track(s, 0, 0);  // filtered at once: complete
  CHECK(t.committable(s) == 1);
  Ticket three = t.track(s, 1, 3);
  Ticket one = t.track(s, 2);
  CHECK(t.retain(one, 1));  // discovered a second document later
  CHECK(t.release(one) == AckResult::Pending);
  CHECK(t.release(three) == AckResult::Pending);
  CHECK(t.release(three, 2) == AckResult::Completed);
  CHECK(t.committable(s) == 2);
  CHECK(t.release(one) == AckResult::Completed);
  CHECK(t.committable(s) == 3);
  // A complete record stays complete.
  CHECK_FALSE(t.retain(one, 1));
  CHECK(t.release(one) == AckResult::Duplicate);
  CHECK(t.release(filtered) == AckResult::Duplicate);
  CHECK(t.stats().duplicate_releases == 2);
}

TEST_CASE("offset tracker: over-release is clamped and counted") {
  OffsetTracker t;
  auto s = t.assign("t", 0);
  Ticket a = t.track(s, 7, 2);
  CHECK(t.release(a, 5) == AckResult::Completed);
  CHECK(t.stats().over_releases == 3);
  CHECK(t.committable(s) == 8);
}

TEST_CASE("offset tracker: non-increasing offsets and unassigned slots are rejected") {
  OffsetTracker t;
  auto s = t.assign("t", 0);
  CHECK(t.track(s, 5).valid());
  CHECK_FALSE(t.track(s, 5).valid());
  CHECK_FALSE(t.track(s, 4).valid());
  CHECK_FALSE(t.track(s, -1).valid());
  CHECK_FALSE(t.track(42, 1).valid());
  CHECK(t.stats().rejected_tracks == 4);
  CHECK(t.release(Ticket{}) == AckResult::Stale);
}

TEST_CASE("offset tracker: revocation drops state and makes old tickets stale") {
  OffsetTracker t;
  auto s = t.assign("orders", 1);
  CHECK(t.assign("orders", 1) == s);  // idempotent while assigned
  Ticket a = t.track(s, 50);
  Ticket b = t.track(s, 51);
  t.release(a);
  CHECK(t.committable(s) == 51);
  CHECK(t.revoke("orders", 1));
  CHECK_FALSE(t.assigned(s));
  CHECK(t.find("orders", 1) == OffsetTracker::kNoSlot);
  CHECK(t.committable(s) == std::nullopt);
  CHECK(t.outstanding() == 0);
  CHECK_FALSE(t.revoke(s));

  // Reassigned (maybe to the same slot): a fresh epoch, the old ticket is stale.
  auto s2 = t.assign("orders", 1);
  CHECK(t.epoch(s2) != a.epoch);
  Ticket c = t.track(s2, 51);  // re-delivered from the committed offset
  CHECK(t.release(b) == AckResult::Stale);
  CHECK(t.committable(s2) == std::nullopt);
  CHECK(t.outstanding(s2) == 1);
  CHECK(t.release(c) == AckResult::Completed);
  CHECK(t.committable(s2) == 52);
  CHECK(t.stats().stale_releases == 1);
  std::vector<CommitOffset> commits;
  t.collect_commits(commits);
  REQUIRE(commits.size() == 1);
  CHECK(commits[0].topic == "orders");
  CHECK(commits[0].partition == 1);
  CHECK(commits[0].offset == 52);
}

TEST_CASE("offset tracker: the ring grows under a long stalled head") {
  OffsetTracker t;
  auto s = t.assign("t", 0);
  std::vector<Ticket> k;
  for (int64_t o = 0; o < 100000; ++o) k.push_back(t.track(s, o * 2));
  for (size_t i = 1; i < k.size(); ++i) CHECK_EQ(t.release(k[i]), AckResult::Completed);
  CHECK(t.committable(s) == std::nullopt);
  CHECK(t.window(s) == 100000);
  CHECK(t.offset_of(k[77777]) == 155554);
  t.release(k[0]);
  CHECK(t.committable(s) == 199999);
  CHECK(t.window(s) == 0);
}

TEST_CASE("offset tracker: commit bookkeeping offers each advance once, again after a failure") {
  OffsetTracker t;
  auto s0 = t.assign("a", 0);
  auto s1 = t.assign("b", 7);
  t.release(t.track(s0, 0));
  t.track(s1, 0);  // stays pending
  std::vector<CommitOffset> c;
  t.collect_commits(c);
  REQUIRE(c.size() == 1);
  CHECK(c[0].offset == 1);
  t.commit_requested(c[0].slot, c[0].epoch, c[0].offset);
  c.clear();
  t.collect_commits(c);
  CHECK(c.empty());
  t.commit_failed(s0, t.epoch(s0), 1);
  t.collect_commits(c);
  REQUIRE(c.size() == 1);
  t.commit_requested(s0, t.epoch(s0), 1);
  t.commit_succeeded(s0, t.epoch(s0), 1);
  CHECK(t.committed(s0) == 1);
  c.clear();
  t.collect_commits(c);
  CHECK(c.empty());
  // A failure of an older request does not cancel a newer one.
  t.release(t.track(s0, 1));
  t.commit_requested(s0, t.epoch(s0), 2);
  t.commit_failed(s0, t.epoch(s0), 1);
  c.clear();
  t.collect_commits(c);
  CHECK(c.empty());
  // Stale epochs are ignored.
  t.commit_succeeded(s0, t.epoch(s0) + 100, 99);
  CHECK(t.committed(s0) == 1);
  // Restricting to some slots.
  std::vector<OffsetTracker::Slot> only{s1};
  c.clear();
  t.collect_commits(c, &only);
  CHECK(c.empty());
}

namespace {

// The oracle: per partition, every tracked record with its pending count, in a
// std::map; committable is computed from scratch.
struct OracleRecord {
  int64_t offset;
  uint32_t pending;
};
struct OraclePartition {
  bool assigned = false;
  uint32_t epoch = 0;
  std::map<uint64_t, OracleRecord> records;  // seq -> record
  int64_t next_offset = 0;
};

std::optional<int64_t> oracle_committable(const OraclePartition& p) {
  std::optional<int64_t> done_through;
  for (const auto& [seq, r] : p.records) {
    if (r.pending) return done_through ? std::optional<int64_t>(r.offset) : std::nullopt;
    done_through = r.offset;
  }
  if (!done_through) return std::nullopt;
  return *done_through + 1;
}

}  // namespace

TEST_CASE("offset tracker: randomized against a simple oracle") {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto uniform = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
    OffsetTracker t;
    constexpr int kParts = 4;
    std::vector<OraclePartition> oracle(kParts);
    std::vector<OffsetTracker::Slot> slot(kParts, OffsetTracker::kNoSlot);
    // Every ticket ever handed out (incl. those of revoked epochs), with the
    // partition it belongs to.
    struct Handed {
      Ticket ticket;
      int part;
    };
    std::vector<Handed> handed;
    uint64_t expected_stale = 0, expected_dup = 0;

    for (int step = 0; step < 20000; ++step) {
      int p = static_cast<int>(uniform(kParts));
      OraclePartition& o = oracle[p];
      uint64_t op = uniform(100);
      if (!o.assigned || op < 2) {
        if (o.assigned && op < 2) {  // revoke
          CHECK(t.revoke(slot[p]));
          o.assigned = false;
          o.records.clear();
          continue;
        }
        slot[p] = t.assign("topic", p);
        o.assigned = true;
        o.epoch = t.epoch(slot[p]);
        o.records.clear();
        continue;
      }
      if (op < 45) {  // track a record, maybe after a gap, with fan-out 0..3
        o.next_offset += 1 + (uniform(10) == 0 ? static_cast<int64_t>(uniform(1000)) : 0);
        uint32_t pending = static_cast<uint32_t>(uniform(4));
        Ticket k = t.track(slot[p], o.next_offset, pending);
        REQUIRE(k.valid());
        o.records[k.seq] = {o.next_offset, pending};
        handed.push_back({k, p});
      } else if (op < 50 && !handed.empty()) {  // retain a random ticket
        Handed h = handed[uniform(handed.size())];
        OraclePartition& ho = oracle[h.part];
        bool live = ho.assigned && ho.epoch == h.ticket.epoch && slot[h.part] == h.ticket.slot;
        auto it = live ? ho.records.find(h.ticket.seq) : ho.records.end();
        bool expect = live && it != ho.records.end() && it->second.pending > 0;
        if (!live) ++expected_stale;
        CHECK(t.retain(h.ticket, 2) == expect);
        if (expect) it->second.pending += 2;
      } else if (!handed.empty()) {  // release a random ticket (maybe stale, maybe done)
        size_t i = uniform(handed.size());
        Handed h = handed[i];
        OraclePartition& ho = oracle[h.part];
        bool live = ho.assigned && ho.epoch == h.ticket.epoch && slot[h.part] == h.ticket.slot;
        uint32_t n = uniform(5) == 0 ? 2 : 1;
        AckResult r = t.release(h.ticket, n);
        if (!live) {
          CHECK(r == AckResult::Stale);
          ++expected_stale;
        } else {
          auto it = ho.records.find(h.ticket.seq);
          REQUIRE(it != ho.records.end());
          if (it->second.pending == 0) {
            CHECK(r == AckResult::Duplicate);
            ++expected_dup;
          } else {
            it->second.pending -= std::min(n, it->second.pending);
            CHECK(r == (it->second.pending ? AckResult::Pending : AckResult::Completed));
          }
        }
        // Drop fully released tickets from the pool now and then, to keep
        // releasing live ones.
        if (uniform(3) == 0) {
          handed[i] = handed.back();
          handed.pop_back();
        }
      }
      for (int q = 0; q < kParts; ++q) {
        if (!oracle[q].assigned) continue;
        CHECK(t.committable(slot[q]) == oracle_committable(oracle[q]));
        uint64_t outstanding = 0;
        for (const auto& [seq, r] : oracle[q].records) outstanding += r.pending > 0;
        CHECK(t.outstanding(slot[q]) == outstanding);
      }
    }
    CHECK(t.stats().stale_releases == expected_stale);
    CHECK(t.stats().duplicate_releases == expected_dup);
    // Drain: release every live record, then each mark is past its newest record.
    for (int q = 0; q < kParts; ++q) {
      if (!oracle[q].assigned) continue;
      for (auto& [seq, r] : oracle[q].records)
        if (r.pending) t.release(Ticket{slot[q], oracle[q].epoch, seq}, r.pending);
      if (!oracle[q].records.empty())
        CHECK(t.committable(slot[q]) == oracle[q].records.rbegin()->second.offset + 1);
      CHECK(t.window(slot[q]) == 0);
    }
    CHECK(t.outstanding() == 0);
  }
}

TEST_CASE("offset tracker: lookup with a nearby ticket finds what the binary search finds") {
  OffsetTracker t;
  auto s = t.assign("orders", 0);
  auto other = t.assign("orders", 1);
  std::mt19937_64 rng(7);
  std::vector<std::pair<int64_t, Ticket>> tracked;
  int64_t offset = 100;
  for (int i = 0; i < 2000; ++i) {
    offset += 1 + (rng() % 4 == 0 ? static_cast<int64_t>(rng() % 5) : 0);  // gaps now and then
    tracked.emplace_back(offset, t.track(s, offset));
    t.track(other, offset);
  }
  // Complete a prefix: the head moves, those records are no longer found.
  for (int i = 0; i < 300; ++i) t.release(tracked[i].second);
  Ticket foreign = t.lookup(other, tracked[500].first);
  REQUIRE(foreign.valid());
  for (int round = 0; round < 20000; ++round) {
    int64_t want = tracked[rng() % tracked.size()].first + static_cast<int64_t>(rng() % 3) - 1;
    Ticket near;
    switch (rng() % 4) {
      case 0: break;                                                     // none
      case 1: near = tracked[rng() % tracked.size()].second; break;      // anywhere, maybe completed
      case 2: {                                                          // just before: the fast path
        auto it = std::lower_bound(tracked.begin(), tracked.end(), std::make_pair(want, Ticket{}),
                                   [](const auto& a, const auto& b) { return a.first < b.first; });
        if (it != tracked.begin()) near = std::prev(it)->second;
        break;
      }
      case 3: near = foreign; break;                                     // another partition
    }
    Ticket slow = t.lookup(s, want);
    Ticket fast = t.lookup(s, want, near);
    CHECK(fast.valid() == slow.valid());
    CHECK(fast.seq == slow.seq);
    CHECK(fast.epoch == slow.epoch);
  }
  // After a revoke and a new assignment the old epoch's tickets are no hint.
  Ticket old = tracked.back().second;
  t.revoke(s);
  auto again = t.assign("orders", 0);
  Ticket fresh = t.track(again, tracked.back().first);
  CHECK(t.lookup(again, tracked.back().first, old).seq == fresh.seq);
  CHECK(t.lookup(again, tracked.back().first, old).epoch == fresh.epoch);
}
