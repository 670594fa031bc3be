#include "runtime/sources/kafka/kafka_source.h"

#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <unordered_map>


namespace pipec {

namespace {

uint64_t part_key(uint32_t topic_index, int32_t partition) {
  return (uint64_t{topic_index} << 32) | static_cast<uint32_t>(partition);
}

}  // namespace

const char* kafka_connection_state_name(KafkaConnectionState s) {
  switch (s) {
    case KafkaConnectionState::Connecting: return "connecting";
    case KafkaConnectionState::Connected: return "connected";
    case KafkaConnectionState::Disconnected: return "disconnected";
    case KafkaConnectionState::Failed: return "failed";
  }
  return "?";
}

// ---------------------------------------------------------------- the consumer

struct KafkaSource::Impl {
  explicit Impl(KafkaSource* s) : self(s), config(s->config_) {}
  ~Impl() { destroy(); }

  KafkaSource* self;
  const KafkaSourceConfig& config;
  std::vector<KafkaStartOffset> start_offsets = config.start_offsets;  // not applied yet
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* consumer_queue = nullptr;  // async commit results are served here
  bool closed = false;

  // Guards tracker, parts, by_key and the counters below.
  mutable std::mutex mu;
  OffsetTracker tracker;

  struct Part {
    bool active = false;
    uint32_t topic_index = 0;
    int32_t partition = -1;
    bool paused = false;    // paused in librdkafka (by the user, pause_all or finish)
    bool user_paused = false;
    bool finished = false;  // bounded run: nothing more to hand out
    int64_t stop_high = -1; // bounded run: high watermark at assignment
    int64_t last_offset = -1;
    int64_t resume_at = -1;  // the committed (or checkpoint) offset it resumed at, until its first record came
    // Messages gathered by the current poll() (source thread only).
    std::vector<rd_kafka_message_t*> gathered;
  };
  std::vector<Part> parts;  // by tracker slot
  std::unordered_map<uint64_t, OffsetTracker::Slot> by_key;
  bool paused_all = false;

  // Counters (under mu).
  KafkaSourceStats counters;

  // Commits are held back while the group rebalances: librdkafka 2.0.2 turns
  // an OffsetCommit that races a rejoin (ILLEGAL_GENERATION) into a lost
  // assignment (confluentinc/librdkafka#4059, fixed in 2.8), which costs a
  // second rebalance and re-delivers every record in flight. Known from two
  // signals: after a cooperative revocation librdkafka rejoins, and the
  // rejoin ends with an assign callback (the first assign after the revoke
  // belongs to the same generation, so two are awaited); and the statistics'
  // cgrp.join_state.
  std::atomic<int> rejoin_assigns{0};
  std::atomic<int64_t> rejoin_deadline_ms{0};
  std::atomic<bool> join_steady{true};
  bool closing = false;
  bool ever_assigned = false;  // the group's first rebalance completed (pipeline thread)
  std::string last_logged_error;  // consumer errors are logged when they change

  // librdkafka 2.0.2 aborts in rd_kafka_destroy() (an assertion in the
  // cooperative-sticky assignor) when the group's first JoinGroup was
  // answered and its SyncGroup not yet: the assignor is chosen but has no
  // state (confluentinc/librdkafka#4312, fixed in 2.3.0). A run that stops
  // during that first rebalance (a sink that cannot open, an early SIGTERM)
  // lets it finish first: milliseconds; never longer than `limit`, and not at
  // all when the group has not started joining (e.g. the topic does not
  // exist) or the brokers are known to be down.
  void await_first_assignment(std::chrono::milliseconds limit) {
    if (ever_assigned || !joining_group()) return;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ever_assigned && std::chrono::steady_clock::now() < deadline) {
      KafkaConnectionState st = self->state_.load();
      if (st == KafkaConnectionState::Failed || st == KafkaConnectionState::Disconnected) return;
      // Serves the rebalance; nothing can be fetched before the assignment.
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 50)) rd_kafka_message_destroy(m);
    }
  }

  // Whether a JoinGroup of this member was answered: the broker's first
  // answer hands out the member id (KIP-394, Kafka 2.2) before the JoinGroup
  // that picks the assignor is sent. Checking only for the assignor (the
  // rebalance protocol) left the second JoinGroup's answer free to land
  // between the check and the close: 3 of 400 stops aborted that way.
  bool joining_group() {
    const char* protocol = rd_kafka_rebalance_protocol(rk);
    if (protocol && std::strcmp(protocol, "NONE") != 0) return true;
    char* member = rd_kafka_memberid(rk);
    bool joining = member && *member;
    if (member) rd_kafka_mem_free(rk, member);
    return joining;
  }

  static int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  bool rebalancing() const {
    if (!join_steady.load()) return true;
    return rejoin_assigns.load() > 0 && now_ms() < rejoin_deadline_ms.load();
  }

  // Source-thread caches for mapping messages to slots.
  const char* last_topic_name = nullptr;
  uint32_t last_topic_index = 0;
  uint64_t last_key = UINT64_MAX;
  OffsetTracker::Slot last_slot = OffsetTracker::kNoSlot;
  std::vector<OffsetTracker::Slot> gathering;  // slots with gathered messages, first-seen order
  KafkaChunkBuilder builder{config.max_record_bytes};

  // ---------------------------------------------------------------- helpers
  void log(const std::string& line) {
    if (config.log) config.log(line);
  }
  void set_error(std::string e) {
    std::lock_guard lock(mu);
    counters.last_error = std::move(e);
  }
  void set_state(KafkaConnectionState s) {
    KafkaConnectionState old = self->state_.load();
    do {
      if (old == KafkaConnectionState::Failed || old == s) return;
    } while (!self->state_.compare_exchange_weak(old, s));
    log(std::string("kafka: ") + kafka_connection_state_name(s));
  }
  void fail(std::string e) {
    if (self->error_.empty()) self->error_ = std::move(e);
    self->state_.store(KafkaConnectionState::Failed);
    log(self->error_);
  }

  int topic_index_of(const char* name) const {
    for (size_t i = 0; i < config.topics.size(); ++i)
      if (config.topics[i] == name) return static_cast<int>(i);
    return -1;
  }

  void invalidate_caches() {
    last_topic_name = nullptr;
    last_key = UINT64_MAX;
    last_slot = OffsetTracker::kNoSlot;
  }

  // Slot of an assigned partition by (topic index, partition); caller holds mu
  // or is the source thread (which alone mutates the map).
  OffsetTracker::Slot slot_of(uint32_t topic_index, int32_t partition) const {
    auto it = by_key.find(part_key(topic_index, partition));
    return it == by_key.end() ? OffsetTracker::kNoSlot : it->second;
  }

  // Lookups of consecutive rows (a batch): the partition's slot and the
  // previous ticket found in it are reused.
  struct TicketCursor {
    uint64_t key = UINT64_MAX;
    OffsetTracker::Slot slot = OffsetTracker::kNoSlot;
    Ticket near;
  };

  // The ticket of a record handed out from the current assignment, else an
  // invalid one; caller holds mu.
  Ticket ticket_for(const SourcePosition& pos, TicketCursor& cursor) const {
    if (pos.source_file < config.source_file_base) return {};
    uint32_t topic_index = pos.source_file - config.source_file_base;
    uint64_t key = part_key(topic_index, pos.partition);
    if (key != cursor.key) cursor = TicketCursor{key, slot_of(topic_index, pos.partition), {}};
    if (cursor.slot == OffsetTracker::kNoSlot) return {};
    Ticket t = tracker.lookup(cursor.slot, static_cast<int64_t>(pos.line_or_offset), cursor.near);
    if (t.valid()) cursor.near = t;
    return t;
  }
  Ticket ticket_for(const SourcePosition& pos) const {
    TicketCursor cursor;
    return ticket_for(pos, cursor);
  }

  OffsetTracker::Slot slot_of_message(const rd_kafka_message_t* m) {
    const char* name = rd_kafka_topic_name(m->rkt);
    if (name != last_topic_name) {
      int ti = topic_index_of(name);
      if (ti < 0) return OffsetTracker::kNoSlot;
      last_topic_name = name;
      last_topic_index = static_cast<uint32_t>(ti);
    }
    uint64_t key = part_key(last_topic_index, m->partition);
    if (key != last_key) {
      last_key = key;
      last_slot = slot_of(last_topic_index, m->partition);
    }
    return last_slot;
  }

  void pause_parts(const std::vector<OffsetTracker::Slot>& slots, bool pause) {
    if (slots.empty()) return;
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(static_cast<int>(slots.size()));
    for (auto s : slots)
      rd_kafka_topic_partition_list_add(l, config.topics[parts[s].topic_index].c_str(), parts[s].partition);
    if (pause) rd_kafka_pause_partitions(rk, l);
    else rd_kafka_resume_partitions(rk, l);
    for (int i = 0; i < l->cnt; ++i)
      if (l->elems[i].err)
        set_error(std::string("kafka: ") + (pause ? "pause" : "resume") + " of " + l->elems[i].topic + "[" +
                  std::to_string(l->elems[i].partition) + "]: " + rd_kafka_err2str(l->elems[i].err));
    rd_kafka_topic_partition_list_destroy(l);
    std::lock_guard lock(mu);
    for (auto s : slots) parts[s].paused = pause;
  }

  void finish(OffsetTracker::Slot slot) {
    Part& p = parts[slot];
    if (p.finished) return;
    {
      std::lock_guard lock(mu);
      p.finished = true;
    }
    if (!p.paused) pause_parts({slot}, true);
  }

  void drop_gathered(Part& p) {
    if (p.gathered.empty()) return;
    {
      std::lock_guard lock(mu);
      counters.dropped += p.gathered.size();
    }
    for (auto* m : p.gathered) rd_kafka_message_destroy(m);
    p.gathered.clear();
  }

  void destroy() {
    for (Part& p : parts) {
      for (auto* m : p.gathered) rd_kafka_message_destroy(m);
      p.gathered.clear();
    }
    if (consumer_queue) {
      rd_kafka_queue_destroy(consumer_queue);
      consumer_queue = nullptr;
    }
    if (rk) {
      rd_kafka_destroy(rk);
      rk = nullptr;
    }
  }

  // ---------------------------------------------------------------- commits
  struct CommitRequest {
    Impl* impl;
    std::vector<CommitOffset> offsets;
    bool sync;
    bool ok = true;
  };

  static void commit_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                        void* opaque) {
    auto* req = static_cast<CommitRequest*>(opaque);
    req->impl->apply_commit_result(*req, err, offsets);
    if (!req->sync) delete req;
  }

  void apply_commit_result(CommitRequest& req, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* offsets) {
    bool connected = false;
    apply_commit_result_locked(req, err, offsets, &connected);
    if (connected) set_state(KafkaConnectionState::Connected);
  }

  void apply_commit_result_locked(CommitRequest& req, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t* offsets, bool* connected_out) {
    bool connected = false;
    std::lock_guard lock(mu);
    for (const CommitOffset& c : req.offsets) {
      rd_kafka_resp_err_t e = err;
      if (offsets) {
        if (auto* el = rd_kafka_topic_partition_list_find(offsets, c.topic.c_str(), c.partition)) e = el->err;
        else if (!e) e = RD_KAFKA_RESP_ERR__FAIL;  // not reported: treat as not committed
      }
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        tracker.commit_succeeded(c.slot, c.epoch, c.offset);
        ++counters.commits;
        connected = true;
      } else {
        tracker.commit_failed(c.slot, c.epoch, c.offset);
        ++counters.commit_failures;
        req.ok = false;
        counters.last_error = "kafka: commit of " + c.topic + "[" + std::to_string(c.partition) + "] offset " +
                              std::to_string(c.offset) + " failed: " + rd_kafka_err2str(e);
      }
    }
    *connected_out = connected;
  }

  // Commits the committable offsets of `slots` (all assigned when null).
  bool commit(bool sync, const std::vector<OffsetTracker::Slot>* slots) {
    if (!rk || self->state_.load() == KafkaConnectionState::Failed) return false;
    auto req = std::make_unique<CommitRequest>();
    req->impl = this;
    req->sync = sync;
    {
      std::lock_guard lock(mu);
      tracker.collect_commits(req->offsets, slots);
      for (const CommitOffset& c : req->offsets) tracker.commit_requested(c.slot, c.epoch, c.offset);
    }
    if (req->offsets.empty()) return true;
    rd_kafka_topic_partition_list_t* l =
        rd_kafka_topic_partition_list_new(static_cast<int>(req->offsets.size()));
    for (const CommitOffset& c : req->offsets)
      rd_kafka_topic_partition_list_add(l, c.topic.c_str(), c.partition)->offset = c.offset;
    rd_kafka_resp_err_t err;
    bool ok = true;
    if (sync) {
      // A NULL queue: the commit is waited for and commit_cb served here.
      err = rd_kafka_commit_queue(rk, l, nullptr, &Impl::commit_cb, req.get());
      if (err && req->ok) apply_commit_result(*req, err, nullptr);
      ok = req->ok && !err;
    } else {
      CommitRequest* raw = req.release();
      err = rd_kafka_commit_queue(rk, l, consumer_queue, &Impl::commit_cb, raw);
      if (err) {  // not enqueued: the callback will not run
        apply_commit_result(*raw, err, nullptr);
        delete raw;
        ok = false;
      }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return ok;
  }

  // ---------------------------------------------------------------- rebalances
  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                           void* opaque) {
    auto* impl = static_cast<Impl*>(opaque);
    bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    impl->invalidate_caches();
    {
      std::lock_guard lock(impl->mu);
      ++impl->counters.rebalances;
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      impl->ever_assigned = true;
      impl->on_assign(partitions, cooperative);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      impl->on_revoke(partitions, cooperative, rd_kafka_assignment_lost(rk) != 0);
    } else {
      impl->set_error(std::string("kafka: rebalance failed: ") + rd_kafka_err2str(err));
      rd_kafka_topic_partition_list_t* all = nullptr;
      if (rd_kafka_assignment(rk, &all) == RD_KAFKA_RESP_ERR_NO_ERROR && all) {
        impl->on_revoke(all, false, true);
        rd_kafka_topic_partition_list_destroy(all);
      }
      rd_kafka_assign(rk, nullptr);
    }
    impl->invalidate_caches();
  }

  static std::vector<KafkaTopicPartition> to_vector(const rd_kafka_topic_partition_list_t* l) {
    std::vector<KafkaTopicPartition> out;
    for (int i = 0; i < l->cnt; ++i) out.push_back({l->elems[i].topic, l->elems[i].partition});
    return out;
  }

  void on_assign(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
    if (rejoin_assigns.load() > 0) rejoin_assigns.fetch_sub(1);
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_copy(partitions);
    const bool bounded = config.bounded();
    const bool by_time = config.startup == KafkaStartupMode::Timestamp;
    // Start offsets: only needed to resolve 'timestamp' and to know where a
    // bounded partition starts. Everything else is librdkafka's committed
    // offset / auto.offset.reset.
    // The committed offsets also tell whether the first records read are
    // really there (check_resume).
    std::vector<int64_t> start(l->cnt, RD_KAFKA_OFFSET_INVALID);
    if (l->cnt > 0) {
      rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, config.sync_timeout_ms);
      if (e) set_error(std::string("kafka: fetching committed offsets: ") + rd_kafka_err2str(e));
      for (int i = 0; i < l->cnt; ++i) start[i] = e || l->elems[i].err ? RD_KAFKA_OFFSET_INVALID : l->elems[i].offset;
    }
    if (by_time || bounded) {
      if (by_time) {
        rd_kafka_topic_partition_list_t* ts = rd_kafka_topic_partition_list_new(l->cnt);
        for (int i = 0; i < l->cnt; ++i)
          if (start[i] < 0)
            rd_kafka_topic_partition_list_add(ts, l->elems[i].topic, l->elems[i].partition)->offset =
                *config.startup_timestamp_ms;
        if (ts->cnt > 0) {
          rd_kafka_resp_err_t te = rd_kafka_offsets_for_times(rk, ts, config.sync_timeout_ms);
          if (te) set_error(std::string("kafka: looking up offsets for scan.startup.timestamp-millis: ") +
                            rd_kafka_err2str(te));
          for (int j = 0; j < ts->cnt; ++j) {
            const auto& el = ts->elems[j];
            for (int i = 0; i < l->cnt; ++i) {
              if (l->elems[i].partition != el.partition || std::strcmp(l->elems[i].topic, el.topic) != 0) continue;
              if (te || el.err) break;  // falls back to auto.offset.reset (earliest)
              // -1: no message at or after the timestamp yet, so start at the end.
              start[i] = el.offset >= 0 ? el.offset : RD_KAFKA_OFFSET_END;
            }
          }
        }
        rd_kafka_topic_partition_list_destroy(ts);
      }
      for (int i = 0; i < l->cnt; ++i) l->elems[i].offset = start[i];
    }
    // A restored checkpoint's position wins over the group's committed
    // offset, on the partition's first assignment only (runtime/state).
    for (int i = 0; i < l->cnt; ++i) {
      auto it = std::find_if(start_offsets.begin(), start_offsets.end(), [&](const KafkaStartOffset& o) {
        return o.partition == l->elems[i].partition && o.topic == l->elems[i].topic;
      });
      if (it == start_offsets.end()) continue;
      l->elems[i].offset = start[i] = it->offset;
      log("kafka: " + it->topic + "[" + std::to_string(it->partition) + "] starts at offset " +
          std::to_string(it->offset) + " (checkpoint position)");
      start_offsets.erase(it);
    }
    // Bounded: the high watermark as of now is where the partition ends.
    std::vector<int64_t> high(l->cnt, -1);
    std::vector<bool> finished(l->cnt, false);
    if (bounded) {
      for (int i = 0; i < l->cnt; ++i) {
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, l->elems[i].topic, l->elems[i].partition, &lo,
                                                                 &hi, config.sync_timeout_ms);
        if (e) {
          set_error(std::string("kafka: watermarks of ") + l->elems[i].topic + ": " + rd_kafka_err2str(e));
          continue;  // unknown end: finished only by the stop timestamp
        }
        high[i] = hi;
        int64_t s = start[i];
        if (s == RD_KAFKA_OFFSET_END || (s < 0 && config.startup == KafkaStartupMode::Latest)) s = hi;
        else if (s < 0) s = lo;
        finished[i] = s >= hi;
      }
    }

    std::vector<OffsetTracker::Slot> to_pause;
    {
      std::lock_guard lock(mu);
      for (int i = 0; i < l->cnt; ++i) {
        int ti = topic_index_of(l->elems[i].topic);
        if (ti < 0) continue;
        OffsetTracker::Slot slot = tracker.assign(l->elems[i].topic, l->elems[i].partition);
        if (parts.size() <= slot) parts.resize(slot + 1);
        Part& p = parts[slot];
        p = Part{};
        p.active = true;
        p.topic_index = static_cast<uint32_t>(ti);
        p.partition = l->elems[i].partition;
        p.stop_high = high[i];
        p.finished = finished[i];
        p.resume_at = start[i] >= 0 ? start[i] : -1;
        by_key[part_key(p.topic_index, p.partition)] = slot;
        if (paused_all || p.finished) to_pause.push_back(slot);
      }
    }
    rd_kafka_error_t* error = nullptr;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cooperative) error = rd_kafka_incremental_assign(rk, l);
    else err = rd_kafka_assign(rk, l);
    if (error) {
      set_error(std::string("kafka: assign: ") + rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    } else if (err) {
      set_error(std::string("kafka: assign: ") + rd_kafka_err2str(err));
    }
    pause_parts(to_pause, true);
    std::vector<KafkaTopicPartition> tps = to_vector(l);
    rd_kafka_topic_partition_list_destroy(l);
    log("kafka: assigned " + std::to_string(tps.size()) + " partition(s)");
    if (self->listener_) self->listener_->on_assigned(tps);
  }

  void on_revoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative, bool lost) {
    std::vector<OffsetTracker::Slot> slots;
    for (int i = 0; i < partitions->cnt; ++i) {
      int ti = topic_index_of(partitions->elems[i].topic);
      if (ti < 0) continue;
      OffsetTracker::Slot s = slot_of(static_cast<uint32_t>(ti), partitions->elems[i].partition);
      if (s == OffsetTracker::kNoSlot) continue;
      slots.push_back(s);
      drop_gathered(parts[s]);  // not handed out: the next owner reads them
    }
    std::vector<KafkaTopicPartition> tps = to_vector(partitions);
    if (self->listener_) self->listener_->on_revoking(tps, lost);
    if (!lost) {
      if (config.revoke_drain_timeout_ms > 0) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.revoke_drain_timeout_ms);
        while (std::chrono::steady_clock::now() < deadline) {
          uint64_t left = 0;
          {
            std::lock_guard lock(mu);
            for (auto s : slots) left += tracker.outstanding(s);
          }
          if (!left) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      }
      commit(true, &slots);
    }
    {
      std::lock_guard lock(mu);
      for (auto s : slots) {
        Part& p = parts[s];
        by_key.erase(part_key(p.topic_index, p.partition));
        p.active = false;
        tracker.revoke(s);
      }
    }
    if (cooperative && !lost && !closing) {
      rejoin_assigns.store(2);
      rejoin_deadline_ms.store(now_ms() + 30000);
    }
    if (cooperative) {
      if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk, partitions)) {
        set_error(std::string("kafka: unassign: ") + rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
      }
    } else {
      rd_kafka_assign(rk, nullptr);
    }
    log(std::string("kafka: ") + (lost ? "lost " : "revoked ") + std::to_string(tps.size()) + " partition(s)");
    if (self->listener_) self->listener_->on_revoked(tps);
  }

  // ---------------------------------------------------------------- errors and statistics
  // librdkafka raised a fatal error (reported through error_cb or as a
  // consumer error message): the instance is unusable.
  void fail_fatal() {
    char buf[512];
    rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
    fail(std::string("kafka: fatal error: ") + rd_kafka_err2name(orig) + ": " + buf);
  }

  static void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* impl = static_cast<Impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      impl->fail_fatal();
      return;
    }
    impl->set_error(std::string("kafka: ") + rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) + ": " +
                    reason);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) impl->set_state(KafkaConnectionState::Disconnected);
  }

  // librdkafka's own warnings (e.g. an offset reset) in the source's log
  // format instead of its raw "%4|1796543116.733|OFFSET|pipec#consumer-1|"
  // lines. Called on librdkafka's threads; the log function is thread-safe.
  static void log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
    if (auto* impl = static_cast<Impl*>(rd_kafka_opaque(rk))) impl->log(librdkafka_log_line(level, facility, line));
  }

  static int stats_cb(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
    static_cast<Impl*>(opaque)->on_stats(std::string_view(json, json_len));
    return 0;  // librdkafka frees json
  }

  simdjson::dom::parser stats_parser;

  void on_stats(std::string_view json) {
    simdjson::dom::element doc;
    if (stats_parser.parse(json.data(), json.size()).get(doc)) return;
    bool up = false;
    simdjson::dom::object brokers;
    if (!doc["brokers"].get(brokers)) {
      for (auto [name, b] : brokers) {
        std::string_view source, state;
        if (b["source"].get(source) || b["state"].get(state)) continue;
        if (source == "internal" || source == "logical") continue;
        if (state == "UP") up = true;
      }
    }
    std::string_view cgrp_state, join_state;
    if (!doc["cgrp"]["state"].get(cgrp_state) && !doc["cgrp"]["join_state"].get(join_state))
      join_steady.store(cgrp_state != "up" || join_state == "steady");
    int64_t lag = -1;
    std::vector<KafkaPartitionStats> partitions;
    simdjson::dom::object topics;
    if (!doc["topics"].get(topics)) {
      for (auto [tname, t] : topics) {
        simdjson::dom::object ps;
        if (t["partitions"].get(ps)) continue;
        for (auto [pname, p] : ps) {
          int64_t partition, l;
          std::string_view fetch_state;
          if (p["partition"].get(partition) || partition < 0) continue;
          if (p["fetch_state"].get(fetch_state) || fetch_state == "none") continue;
          int64_t committed = -1;
          if (p["committed_offset"].get(committed)) committed = -1;
          partitions.push_back(KafkaPartitionStats{std::string(tname), static_cast<int32_t>(partition), -1,
                                                   committed < 0 ? -1 : committed});
          if (p["consumer_lag"].get(l) || l < 0) continue;
          partitions.back().lag = l;
          lag = (lag < 0 ? 0 : lag) + l;
        }
      }
    }
    {
      std::lock_guard lock(mu);
      counters.lag = lag;
      counters.partitions = std::move(partitions);
    }
    set_state(up ? KafkaConnectionState::Connected
                 : self->state_.load() == KafkaConnectionState::Connecting ? KafkaConnectionState::Connecting
                                                                           : KafkaConnectionState::Disconnected);
  }

  // ---------------------------------------------------------------- poll
  void on_message_error(rd_kafka_message_t* m) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (!m->rkt) return;
      OffsetTracker::Slot s = slot_of_message(m);
      if (s == OffsetTracker::kNoSlot) return;
      Part& p = parts[s];
      if (config.bounded() && p.stop_high >= 0 && m->offset >= p.stop_high) finish(s);
      return;
    }
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
      fail_fatal();
      return;
    }
    std::string where;
    if (m->rkt) where = std::string(" (") + rd_kafka_topic_name(m->rkt) + "[" + std::to_string(m->partition) + "])";
    const char* detail = m->err ? rd_kafka_message_errstr(m) : "";
    std::string msg = std::string("kafka: ") + rd_kafka_err2name(m->err) + where + ": " + detail;
    switch (m->err) {
      case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        fail(msg);
        break;
      default:
        // e.g. an unknown topic: librdkafka keeps trying, and says so again
        // at every metadata refresh; the log says it once.
        if (msg != last_logged_error) log(msg + (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                                                    ? " (waiting for it; check the topic name)"
                                                    : ""));
        last_logged_error = msg;
        set_error(msg);
    }
  }

  // A partition's first record after an assignment should be at the offset
  // it resumed at. Retention may have deleted that offset while pipec was
  // stopped or behind: librdkafka 2.0.2 then moves to the log start
  // (auto.offset.reset) without a word. Compaction and transaction markers
  // leave gaps too, but never below the log start.
  void check_resume(Part& p, int64_t first) {
    int64_t at = p.resume_at;
    p.resume_at = -1;
    const std::string& topic = config.topics[p.topic_index];
    std::string where = topic + "[" + std::to_string(p.partition) + "]";
    if (first < at) {
      log("kafka: " + where + ": the committed offset " + std::to_string(at) +
          " is past the end of the log; reading from offset " + std::to_string(first) +
          " (was the topic deleted and created again?)");
      return;
    }
    if (first == at) return;
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(rk, topic.c_str(), p.partition, &lo, &hi) || lo < 0)
      if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p.partition, &lo, &hi, 2000)) return;
    if (lo <= at) return;
    auto lost = static_cast<uint64_t>(lo - at);
    log("kafka: " + where + ": offsets " + std::to_string(at) + " to " + std::to_string(lo - 1) + " (up to " +
        std::to_string(lost) + " records) were deleted by retention before they were read; reading from " +
        std::to_string(first));
    std::lock_guard lock(mu);
    counters.lost_to_retention += lost;
  }

  // Copies one partition's gathered messages into a chunk and tracks them.
  void build_chunk(OffsetTracker::Slot slot, std::vector<KafkaChunk>& out) {
    Part& p = parts[slot];
    std::vector<rd_kafka_message_t*>& msgs = p.gathered;
    // Drop re-deliveries of offsets already handed out in this epoch.
    size_t kept = 0;
    uint64_t redelivered = 0;
    int64_t last = p.last_offset;
    for (auto* m : msgs) {
      if (m->offset <= last) {
        rd_kafka_message_destroy(m);
        ++redelivered;
        continue;
      }
      last = m->offset;
      msgs[kept++] = m;
    }
    msgs.resize(kept);
    if (msgs.empty()) {
      std::lock_guard lock(mu);
      counters.dropped += redelivered;
      return;
    }

    if (p.resume_at >= 0) check_resume(p, msgs.front()->offset);
    builder.reset(config.topics[p.topic_index], p.topic_index, p.partition,
                  config.source_file_base + p.topic_index);
    uint64_t tombstones = 0, oversize = 0;
    for (rd_kafka_message_t* m : msgs) {
      const char* key = config.with_key ? static_cast<const char*>(m->key) : nullptr;
      builder.add(m->offset, rd_kafka_message_timestamp(m, nullptr), static_cast<const char*>(m->payload), m->len,
                  key, m->key_len);
      const KafkaMessageMeta& mm = builder.last();
      tombstones += mm.kind == KafkaPayloadKind::Tombstone;
      oversize += mm.kind == KafkaPayloadKind::Oversize;
      rd_kafka_headers_t* hdrs = nullptr;
      if (config.with_headers && rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t h = 0; !rd_kafka_header_get_all(hdrs, h, &name, &value, &size); ++h)
          builder.add_header(name, static_cast<const char*>(value), size);
      }
    }
    uint64_t bytes = builder.payload_bytes();
    Ticket first;
    {
      std::lock_guard lock(mu);
      for (size_t i = 0; i < msgs.size(); ++i) {
        Ticket t = tracker.track(slot, msgs[i]->offset);
        if (i == 0) first = t;
      }
      counters.messages += msgs.size();
      counters.bytes += bytes;
      counters.tombstones += tombstones;
      counters.oversize += oversize;
      counters.dropped += redelivered;
      ++counters.chunks;
    }
    p.last_offset = msgs.back()->offset;
    out.push_back(builder.build(first));
    for (auto* m : msgs) rd_kafka_message_destroy(m);
    msgs.clear();
  }

  static constexpr size_t kFetchBatch = 512;

  KafkaPollStatus poll(std::vector<KafkaChunk>& out, int timeout_ms) {
    if (self->state_.load() == KafkaConnectionState::Failed) return KafkaPollStatus::Failed;
    if (closed || !rk) {
      if (self->error_.empty()) self->error_ = "kafka: the source is closed";
      return KafkaPollStatus::Failed;
    }
    size_t n = 0, bytes = 0;
    uint64_t dropped = 0;
    // The first message waits up to timeout_ms; what is queued behind it is
    // taken in batches (one queue lock and clock read per batch, not per
    // message). Every fetched message is handled: the byte limit may be passed
    // by one batch, the record limit never.
    rd_kafka_message_t* fetched[kFetchBatch];
    size_t fetched_count = 0, next = 0;
    bool first_fetch = true;
    while (next < fetched_count || (n < config.max_poll_records && bytes < config.max_poll_bytes)) {
      if (next == fetched_count) {
        next = fetched_count = 0;
        if (first_fetch) {  // consumer_poll also tells librdkafka the application polls (max.poll.interval.ms)
          if (rd_kafka_message_t* first = rd_kafka_consumer_poll(rk, timeout_ms)) fetched[fetched_count++] = first;
          first_fetch = false;
        } else {
          ssize_t got = rd_kafka_consume_batch_queue(consumer_queue, 0, fetched,
                                                     std::min(kFetchBatch, config.max_poll_records - n));
          fetched_count = got > 0 ? static_cast<size_t>(got) : 0;
        }
        if (fetched_count == 0) break;
      }
      rd_kafka_message_t* m = fetched[next++];
      if (self->state_.load() == KafkaConnectionState::Failed) {
        for (size_t i = next - 1; i < fetched_count; ++i) rd_kafka_message_destroy(fetched[i]);
        break;
      }
      if (m->err) {
        on_message_error(m);
        rd_kafka_message_destroy(m);
        continue;
      }
      OffsetTracker::Slot s = slot_of_message(m);
      if (s == OffsetTracker::kNoSlot || parts[s].finished) {
        rd_kafka_message_destroy(m);
        ++dropped;
        continue;
      }
      Part& p = parts[s];
      if (config.stop_timestamp_ms) {
        int64_t ts = rd_kafka_message_timestamp(m, nullptr);
        if (ts >= *config.stop_timestamp_ms) {  // passed the stop time: not handed out
          rd_kafka_message_destroy(m);
          ++dropped;
          finish(s);
          continue;
        }
      }
      if (p.gathered.empty()) gathering.push_back(s);
      p.gathered.push_back(m);
      ++n;
      bytes += m->len;
      if (config.bounded() && p.stop_high >= 0 && m->offset + 1 >= p.stop_high) finish(s);
    }
    if (dropped) {
      std::lock_guard lock(mu);
      counters.dropped += dropped;
    }
    // Messages only come from a broker that is up (statistics, every
    // statistics.interval.ms, also tell when none is).
    if (n || dropped) set_state(KafkaConnectionState::Connected);
    for (auto s : gathering)
      if (parts[s].active && !parts[s].gathered.empty()) build_chunk(s, out);
    gathering.clear();
    if (self->state_.load() == KafkaConnectionState::Failed) return KafkaPollStatus::Failed;
    if (config.bounded() && n == 0 && all_finished()) return KafkaPollStatus::Finished;
    return KafkaPollStatus::Ok;
  }

  bool all_finished() const {
    std::lock_guard lock(mu);
    if (by_key.empty()) return false;
    for (const auto& [k, s] : by_key)
      if (!parts[s].finished) return false;
    return true;
  }
};

// ---------------------------------------------------------------- KafkaSource

KafkaSource::KafkaSource(const KafkaSourceConfig& config) : config_(config) {}

KafkaSource::~KafkaSource() { close(); }

std::unique_ptr<KafkaSource> KafkaSource::open(const KafkaSourceConfig& config, std::string* error) {
  std::unique_ptr<KafkaSource> src(new KafkaSource(config));
  src->impl_ = std::make_unique<Impl>(src.get());
  Impl* impl = src->impl_.get();
  auto fail = [&](std::string e) {
    if (error) *error = std::move(e);
    return nullptr;
  };
  if (config.topics.empty()) return fail("kafka: no topic to consume");

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : librdkafka_properties(config)) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return fail("kafka property '" + k + "': " + err);
    }
  }
  rd_kafka_conf_set_opaque(conf, impl);
  rd_kafka_conf_set_rebalance_cb(conf, &Impl::rebalance_cb);
  rd_kafka_conf_set_error_cb(conf, &Impl::error_cb);
  rd_kafka_conf_set_stats_cb(conf, &Impl::stats_cb);
  rd_kafka_conf_set_log_cb(conf, &Impl::log_cb);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return fail(std::string("kafka: cannot create the consumer: ") + err);
  }
  impl->rk = rk;
  // Errors, statistics and rebalances are all served by consumer_poll.
  rd_kafka_poll_set_consumer(rk);
  impl->consumer_queue = rd_kafka_queue_get_consumer(rk);

  rd_kafka_topic_partition_list_t* topics =
      rd_kafka_topic_partition_list_new(static_cast<int>(config.topics.size()));
  for (const auto& t : config.topics) rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e) {
    impl->closed = true;
    return fail(std::string("kafka: subscribe: ") + rd_kafka_err2str(e));
  }
  return src;
}

KafkaPollStatus KafkaSource::poll(std::vector<KafkaChunk>& out, int timeout_ms) {
  return impl_->poll(out, timeout_ms);
}

Ticket KafkaSource::ticket_for(const SourcePosition& pos) const {
  std::lock_guard lock(impl_->mu);
  return impl_->ticket_for(pos);
}

Ticket KafkaSource::acquire(const SourcePosition& pos) {
  Ticket t;
  const uint32_t row = 0;
  acquire({&pos, 1}, {&row, 1}, &t);
  return t;
}

void KafkaSource::acquire(std::span<const SourcePosition> positions, std::span<const uint32_t> rows, Ticket* out) {
  std::lock_guard lock(impl_->mu);
  Impl::TicketCursor cursor;
  for (size_t i = 0; i < rows.size(); ++i) {
    out[i] = impl_->ticket_for(positions[rows[i]], cursor);
    if (out[i].valid()) impl_->tracker.retain(out[i], 1);
  }
}

void KafkaSource::retain(Ticket t, uint32_t n) {
  std::lock_guard lock(impl_->mu);
  impl_->tracker.retain(t, n);
}

AckResult KafkaSource::release(Ticket t, uint32_t n) {
  std::lock_guard lock(impl_->mu);
  return impl_->tracker.release(t, n);
}

void KafkaSource::release(std::span<const Ticket> tickets) {
  std::lock_guard lock(impl_->mu);
  for (const Ticket& t : tickets) impl_->tracker.release(t);
}

bool KafkaSource::commit(bool sync) {
  if (impl_->closed) return false;
  if (impl_->rebalancing()) {  // deferred: the next call commits
    std::lock_guard lock(impl_->mu);
    ++impl_->counters.deferred_commits;
    return !sync;
  }
  return impl_->commit(sync, nullptr);
}

namespace {
template <typename F>
void for_each_slot(const KafkaSourceConfig& config, const std::vector<KafkaTopicPartition>& tps, F&& f) {
  for (const auto& tp : tps)
    for (size_t i = 0; i < config.topics.size(); ++i)
      if (config.topics[i] == tp.topic) f(static_cast<uint32_t>(i), tp.partition);
}
}  // namespace

void KafkaSource::pause(const std::vector<KafkaTopicPartition>& partitions) {
  if (impl_->closed) return;
  std::vector<OffsetTracker::Slot> slots;
  for_each_slot(config_, partitions, [&](uint32_t ti, int32_t p) {
    OffsetTracker::Slot s = impl_->slot_of(ti, p);
    if (s == OffsetTracker::kNoSlot) return;
    impl_->parts[s].user_paused = true;
    if (!impl_->parts[s].paused) slots.push_back(s);
  });
  if (!slots.empty()) {
    std::lock_guard lock(impl_->mu);
    ++impl_->counters.pauses;
  }
  impl_->pause_parts(slots, true);
}

void KafkaSource::resume(const std::vector<KafkaTopicPartition>& partitions) {
  if (impl_->closed) return;
  std::vector<OffsetTracker::Slot> slots;
  for_each_slot(config_, partitions, [&](uint32_t ti, int32_t p) {
    OffsetTracker::Slot s = impl_->slot_of(ti, p);
    if (s == OffsetTracker::kNoSlot) return;
    Impl::Part& part = impl_->parts[s];
    part.user_paused = false;
    if (part.paused && !part.finished && !impl_->paused_all) slots.push_back(s);
  });
  impl_->pause_parts(slots, false);
}

void KafkaSource::pause_all() {
  if (impl_->closed) return;
  std::vector<OffsetTracker::Slot> slots;
  {
    std::lock_guard lock(impl_->mu);
    impl_->paused_all = true;
    for (const auto& [k, s] : impl_->by_key)
      if (!impl_->parts[s].paused) slots.push_back(s);
    if (!slots.empty()) ++impl_->counters.pauses;
  }
  impl_->pause_parts(slots, true);
}

void KafkaSource::resume_all() {
  if (impl_->closed) return;
  std::vector<OffsetTracker::Slot> slots;
  {
    std::lock_guard lock(impl_->mu);
    impl_->paused_all = false;
    for (const auto& [k, s] : impl_->by_key) {
      Impl::Part& p = impl_->parts[s];
      p.user_paused = false;
      if (p.paused && !p.finished) slots.push_back(s);
    }
  }
  impl_->pause_parts(slots, false);
}

void KafkaSource::close() {
  if (!impl_ || impl_->closed) return;
  if (impl_->rk) impl_->await_first_assignment(std::chrono::seconds(10));
  impl_->closed = true;
  impl_->closing = true;
  if (impl_->rk) {
    if (state() != KafkaConnectionState::Failed) impl_->commit(true, nullptr);
    // Leaving the group revokes the assignment through rebalance_cb (which
    // commits again, finding nothing new, and drops the tracking).
    rd_kafka_consumer_close(impl_->rk);
  }
  impl_->destroy();
}

std::vector<KafkaTopicPartition> KafkaSource::assignment() const {
  std::vector<KafkaTopicPartition> out;
  std::lock_guard lock(impl_->mu);
  for (const auto& [k, s] : impl_->by_key)
    out.push_back({config_.topics[impl_->parts[s].topic_index], impl_->parts[s].partition});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
  });
  return out;
}

int64_t KafkaSource::committable(const KafkaTopicPartition& tp) const {
  std::lock_guard lock(impl_->mu);
  OffsetTracker::Slot s = impl_->tracker.find(tp.topic, tp.partition);
  auto c = impl_->tracker.committable(s);
  return c ? *c : -1;
}

KafkaSourceStats KafkaSource::stats() const {
  std::lock_guard lock(impl_->mu);
  KafkaSourceStats s = impl_->counters;
  s.state = state();
  s.assigned = static_cast<uint32_t>(impl_->by_key.size());
  s.paused = s.finished = 0;
  for (const auto& [k, slot] : impl_->by_key) {
    s.paused += impl_->parts[slot].paused;
    s.finished += impl_->parts[slot].finished;
  }
  s.outstanding = impl_->tracker.outstanding();
  s.tracker = impl_->tracker.stats();
  return s;
}

std::vector<SourceDescriptor> KafkaSource::descriptors() const {
  std::vector<SourceDescriptor> out;
  for (const auto& t : config_.topics) out.push_back({config_.source_name, t});
  return out;
}

}  // namespace pipec
