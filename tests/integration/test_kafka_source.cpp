// Integration tests of the Kafka source and the offset tracker against a REAL
// broker (tools/services/kafka.sh start; PIPEC_KAFKA_PORT, default 19092).
// They fail, never skip, when the broker is unreachable.
//
// Every test creates its own uniquely named topics and consumer groups and
// deletes the topics at the end, so runs never see each other's data.
//
//   integration_kafka                        all tests (~30 s)
//   integration_kafka -tc='*throughput*' --no-skip   the consume benchmark
#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/decode/ndjson_decoder.h"
#include "runtime/sources/kafka/kafka_source.h"

using namespace pipec;
using Clock = std::chrono::steady_clock;

namespace {

std::string bootstrap() {
  const char* port = std::getenv("PIPEC_KAFKA_PORT");
  return std::string("127.0.0.1:") + (port && *port ? port : "19092");
}

std::string unique(std::string_view what) {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return "pipec-it-" + std::string(what) + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count() % 100000000) + "-" +
         std::to_string(counter++);
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void set(rd_kafka_conf_t* conf, const char* k, const std::string& v) {
  char err[512];
  REQUIRE_MESSAGE(rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK, k, ": ", err);
}

// A producer that also serves admin requests.
class Producer {
 public:
  Producer() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap());
    set(conf, "enable.idempotence", "true");
    set(conf, "linger.ms", "5");
    set(conf, "log_level", "3");
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
      if (m->err) static_cast<Producer*>(opaque)->failed_++;
    });
    rd_kafka_conf_set_opaque(conf, this);
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE_MESSAGE(rk_, err);
    const struct rd_kafka_metadata* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk_, 0, nullptr, &md, 5000);
    if (md) rd_kafka_metadata_destroy(md);
    REQUIRE_MESSAGE(e == RD_KAFKA_RESP_ERR_NO_ERROR, "Kafka is not reachable at ", bootstrap(), " (",
                    rd_kafka_err2str(e), "): start it with tools/services/kafka.sh start");
  }
  ~Producer() {
    for (const auto& t : topics_) delete_topic(t);
    rd_kafka_flush(rk_, 10000);
    rd_kafka_destroy(rk_);
  }

  std::string create_topic(std::string_view what, int partitions) {
    std::string name = unique(what);
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
    REQUIRE(nt);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
    rd_kafka_CreateTopics(rk_, &nt, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
    REQUIRE(ev);
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    REQUIRE(res);
    size_t n;
    const rd_kafka_topic_result_t** tr = rd_kafka_CreateTopics_result_topics(res, &n);
    REQUIRE(n == 1);
    REQUIRE_MESSAGE(rd_kafka_topic_result_error(tr[0]) == RD_KAFKA_RESP_ERR_NO_ERROR,
                    rd_kafka_topic_result_error_string(tr[0]));
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    topics_.push_back(name);
    // Wait until the leader of every partition is known.
    for (int i = 0; i < 100; ++i) {
      const struct rd_kafka_metadata* md = nullptr;
      rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, name.c_str(), nullptr);
      bool ok = rd_kafka_metadata(rk_, 0, t, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
                md->topics[0].partition_cnt == partitions;
      if (ok)
        for (int p = 0; p < partitions; ++p) ok &= md->topics[0].partitions[p].leader >= 0;
      if (md) rd_kafka_metadata_destroy(md);
      rd_kafka_topic_destroy(t);
      if (ok) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return name;
  }

  void delete_topic(const std::string& name) {
    rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(name.c_str());
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
    rd_kafka_DeleteTopics(rk_, &dt, 1, nullptr, q);
    if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 10000)) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy(dt);
  }

  struct Header {
    std::string name;
    std::string value;
  };
  // value == nullptr: a tombstone.
  void send(const std::string& topic, int32_t partition, const char* value, size_t len, const char* key = nullptr,
            int64_t timestamp_ms = 0, const std::vector<Header>& headers = {}) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size());
      for (const auto& h : headers) rd_kafka_header_add(hdrs, h.name.c_str(), -1, h.value.data(), h.value.size());
    }
    while (true) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_VALUE(const_cast<char*>(value), value ? len : 0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(key, key ? std::strlen(key) : 0), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk_, 10);
        continue;
      }
      REQUIRE_MESSAGE(e == RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_err2str(e));
      break;
    }
    rd_kafka_poll(rk_, 0);
  }
  void send(const std::string& topic, int32_t partition, const std::string& value, const char* key = nullptr,
            int64_t timestamp_ms = 0) {
    send(topic, partition, value.data(), value.size(), key, timestamp_ms);
  }
  void flush() {
    REQUIRE(rd_kafka_flush(rk_, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    REQUIRE(failed_.load() == 0);
  }

  // The group's committed offsets (-1 when none), read with a separate,
  // unsubscribed client (OffsetFetch only: it does not join the group).
  std::vector<int64_t> committed(const std::string& group, const std::string& topic, int partitions) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap());
    set(conf, "group.id", group);
    set(conf, "log_level", "3");
    char err[512];
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    REQUIRE(c);
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(l, topic.c_str(), p);
    REQUIRE(rd_kafka_committed(c, l, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    std::vector<int64_t> out(partitions, -1);
    for (int i = 0; i < l->cnt; ++i) out[l->elems[i].partition] = l->elems[i].offset < 0 ? -1 : l->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(c);
    return out;
  }

  std::vector<int64_t> high_watermarks(const std::string& topic, int partitions) {
    std::vector<int64_t> out;
    for (int p = 0; p < partitions; ++p) {
      int64_t lo, hi;
      REQUIRE(rd_kafka_query_watermark_offsets(rk_, topic.c_str(), p, &lo, &hi, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
      out.push_back(hi);
    }
    return out;
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  std::atomic<int> failed_{0};
  std::vector<std::string> topics_;
};

KafkaSourceConfig config_for(const std::string& topic, const std::string& group) {
  KafkaSourceConfig c;
  std::string error;
  REQUIRE_MESSAGE(KafkaSourceConfig::from_options({{"topic", topic},
                                                   {"properties.bootstrap.servers", bootstrap()},
                                                   {"properties.group.id", group},
                                                   {"properties.log_level", "3"},
                                                   {"properties.session.timeout.ms", "6000"},
                                                   {"properties.heartbeat.interval.ms", "500"}},
                                                  "unused", &c, &error),
                  error);
  c.source_name = "it";
  return c;
}

std::unique_ptr<KafkaSource> open_source(const KafkaSourceConfig& c) {
  std::string error;
  auto s = KafkaSource::open(c, &error);
  REQUIRE_MESSAGE(s, error);
  return s;
}

// A received record: where it came from and its ticket.
struct Got {
  int32_t partition;
  int64_t offset;
  Ticket ticket;
  std::string payload;
  int64_t timestamp_ms;
};

// Polls until `enough` says so or the deadline passes.
std::vector<Got> consume(KafkaSource& s, const std::function<bool(const std::vector<Got>&)>& enough,
                         int timeout_ms = 30000, KafkaPollStatus* last = nullptr) {
  std::vector<Got> got;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<KafkaChunk> chunks;
  while (Clock::now() < deadline && !enough(got)) {
    chunks.clear();
    KafkaPollStatus st = s.poll(chunks, 100);
    if (last) *last = st;
    REQUIRE_MESSAGE(st != KafkaPollStatus::Failed, s.error());
    for (const KafkaChunk& c : chunks)
      for (size_t i = 0; i < c.size(); ++i) {
        const auto& f = c.input->frames[i];
        got.push_back({c.partition, static_cast<int64_t>(f.offset), c.ticket(i),
                       std::string(c.input->data() + f.begin, f.size), c.meta[i].timestamp_ms});
      }
    if (st == KafkaPollStatus::Finished) break;
  }
  return got;
}

auto count_at_least(size_t n) {
  return [n](const std::vector<Got>& g) { return g.size() >= n; };
}

// Per partition: the first offset not released, or the last offset + 1.
// -1 when the partition's first record is not released (nothing committable).
std::vector<int64_t> oracle_low_water(const std::vector<Got>& got, const std::set<std::pair<int32_t, int64_t>>& done,
                                      int partitions, const std::vector<int64_t>& before) {
  std::vector<int64_t> out = before;
  for (int p = 0; p < partitions; ++p) {
    std::vector<int64_t> offs;
    for (const Got& g : got)
      if (g.partition == p) offs.push_back(g.offset);
    std::sort(offs.begin(), offs.end());
    if (offs.empty() || !done.count({p, offs[0]})) continue;
    int64_t mark = offs.back() + 1;
    for (int64_t o : offs)
      if (!done.count({p, o})) {
        mark = o;
        break;
      }
    out[p] = std::max(out[p], mark);
  }
  return out;
}

}  // namespace

TEST_CASE("kafka: acks in random order and fan-out commit exactly the low-water marks") {
  Producer prod;
  const int P = 3, N = 3000;
  std::string topic = prod.create_topic("random-acks", P);
  for (int i = 0; i < N; ++i) prod.send(topic, i % P, "{\"i\":" + std::to_string(i) + "}");
  prod.flush();

  std::string group = unique("g-random");
  auto src = open_source(config_for(topic, group));
  std::vector<Got> got = consume(*src, count_at_least(N));
  REQUIRE(got.size() == N);
  CHECK(src->assignment().size() == P);
  // Offsets per partition are 0..N/P-1, each once.
  std::set<std::pair<int32_t, int64_t>> seen;
  for (const Got& g : got) CHECK(seen.insert({g.partition, g.offset}).second);
  CHECK(src->stats().outstanding == N);

  // Every 7th record became two documents.
  std::mt19937_64 rng(42);
  std::vector<std::pair<size_t, int>> releases;  // (index into got, which doc)
  for (size_t i = 0; i < got.size(); ++i) {
    releases.push_back({i, 0});
    if (i % 7 == 0) {
      src->retain(got[i].ticket, 1);
      releases.push_back({i, 1});
    }
  }
  std::shuffle(releases.begin(), releases.end(), rng);
  std::map<size_t, int> docs_left;
  for (const auto& [i, d] : releases) docs_left[i]++;

  std::set<std::pair<int32_t, int64_t>> done;
  std::vector<int64_t> expected(P, -1);
  const size_t step = releases.size() / 10 + 1;
  for (size_t at = 0; at < releases.size(); at += step) {
    for (size_t k = at; k < std::min(at + step, releases.size()); ++k) {
      size_t i = releases[k].first;
      AckResult r = src->release(got[i].ticket);
      if (--docs_left[i] == 0) {
        CHECK(r == AckResult::Completed);
        done.insert({got[i].partition, got[i].offset});
      } else {
        CHECK(r == AckResult::Pending);
      }
    }
    REQUIRE(src->commit(true));
    expected = oracle_low_water(got, done, P, expected);
    std::vector<KafkaChunk> none;
    src->poll(none, 0);  // serve callbacks
    CHECK(prod.committed(group, topic, P) == expected);
    for (int p = 0; p < P; ++p) CHECK(src->committable({topic, p}) == expected[p]);
  }
  CHECK(expected == std::vector<int64_t>(P, N / P));
  KafkaSourceStats st = src->stats();
  CHECK(st.outstanding == 0);
  CHECK(st.commit_failures == 0);
  CHECK(st.messages == N);
  CHECK(st.state == KafkaConnectionState::Connected);
  src->close();
}

TEST_CASE("kafka: a restart resumes at the committed low-water mark (at-least-once, no gaps)") {
  Producer prod;
  const int P = 3, N = 900;
  std::string topic = prod.create_topic("restart", P);
  for (int i = 0; i < N; ++i) prod.send(topic, i % P, "{\"i\":" + std::to_string(i) + "}");
  prod.flush();
  std::string group = unique("g-restart");

  // Run 1: 60% of the records acknowledged, in random order; then a crash-free stop.
  std::set<std::pair<int32_t, int64_t>> done;
  std::vector<Got> got1;
  {
    auto src = open_source(config_for(topic, group));
    got1 = consume(*src, count_at_least(N));
    REQUIRE(got1.size() == N);
    std::mt19937_64 rng(7);
    std::vector<Got> order = got1;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i = 0; i < order.size() * 6 / 10; ++i) {
      src->release(order[i].ticket);
      done.insert({order[i].partition, order[i].offset});
    }
    src->close();  // final synchronous commit
  }
  std::vector<int64_t> mark = oracle_low_water(got1, done, P, std::vector<int64_t>(P, -1));
  CHECK(prod.committed(group, topic, P) == mark);

  // Run 2: starts exactly at the marks; everything not acknowledged comes again.
  auto src = open_source(config_for(topic, group));
  std::vector<int64_t> high = prod.high_watermarks(topic, P);
  size_t expect = 0;
  for (int p = 0; p < P; ++p) expect += static_cast<size_t>(high[p] - std::max<int64_t>(mark[p], 0));
  std::vector<Got> got2 = consume(*src, count_at_least(expect));
  CHECK(got2.size() == expect);
  std::map<int32_t, int64_t> first;
  for (const Got& g : got2)
    if (!first.count(g.partition)) first[g.partition] = g.offset;
  for (int p = 0; p < P; ++p) CHECK(first[p] == std::max<int64_t>(mark[p], 0));
  std::set<std::pair<int32_t, int64_t>> again;
  for (const Got& g : got2) again.insert({g.partition, g.offset});
  for (const Got& g : got1)
    if (!done.count({g.partition, g.offset})) CHECK(again.count({g.partition, g.offset}));  // no gap
  for (const Got& g : got2) src->release(g.ticket);
  src->close();
  CHECK(prod.committed(group, topic, P) == high);
}

namespace {

// A group member on its own thread: polls, "delivers" every record (release)
// - at once, or after sink_delay_ms on a separate sink thread, like a bulk
// request in flight - commits asynchronously every 100 ms, records what it got
// and the partitions it lost per revocation. stop() drains the sink, then
// closes (final commit, leaves the group).
class Member : public KafkaRebalanceListener {
 public:
  explicit Member(const KafkaSourceConfig& c, int sink_delay_ms = 0)
      : src_(open_source(c)), sink_delay_ms_(sink_delay_ms) {
    src_->set_rebalance_listener(this);
    if (sink_delay_ms_ > 0) sink_ = std::thread([this] { sink(); });
    thread_ = std::thread([this] { run(); });
  }
  ~Member() { stop(); }

  void stop() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
    }
  }
  std::vector<Got> got() {
    std::lock_guard lock(mu_);
    return got_;
  }
  std::vector<size_t> revocations() {
    std::lock_guard lock(mu_);
    return revocations_;
  }
  size_t assigned() {
    std::lock_guard lock(mu_);
    return assigned_;
  }
  KafkaSourceStats stats() { return src_->stats(); }
  std::string error() {
    std::lock_guard lock(mu_);
    return error_;
  }

  void on_assigned(const std::vector<KafkaTopicPartition>& tps) override {
    std::lock_guard lock(mu_);
    assigned_ += tps.size();
  }
  void on_revoking(const std::vector<KafkaTopicPartition>& tps, bool lost) override {
    std::lock_guard lock(mu_);
    revocations_.push_back(tps.size());
    CHECK_FALSE(lost);
  }
  void on_revoked(const std::vector<KafkaTopicPartition>& tps) override {
    std::lock_guard lock(mu_);
    assigned_ -= tps.size();
  }

 private:
  void run() {
    auto next_commit = Clock::now();
    std::vector<KafkaChunk> chunks;
    while (!stop_) {
      chunks.clear();
      if (src_->poll(chunks, 50) == KafkaPollStatus::Failed) {
        std::lock_guard lock(mu_);
        error_ = src_->error();
        break;
      }
      for (const KafkaChunk& c : chunks) {
        std::lock_guard lock(mu_);
        for (size_t i = 0; i < c.size(); ++i) {
          got_.push_back({c.partition, static_cast<int64_t>(c.input->frames[i].offset), c.ticket(i), {}, 0});
          if (sink_delay_ms_ > 0) in_flight_.push_back({Clock::now() + std::chrono::milliseconds(sink_delay_ms_), c.ticket(i)});
          else src_->release(c.ticket(i));
        }
      }
      if (Clock::now() >= next_commit) {
        src_->commit(false);
        next_commit = Clock::now() + std::chrono::milliseconds(100);
      }
    }
    // Shutdown as an executor does it: let the sink finish, then close.
    while (sink_delay_ms_ > 0) {
      {
        std::lock_guard lock(mu_);
        if (in_flight_.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    sink_stop_ = true;
    if (sink_.joinable()) sink_.join();
    src_->close();
  }

  void sink() {
    while (!sink_stop_) {
      {
        std::lock_guard lock(mu_);
        auto now = Clock::now();
        while (!in_flight_.empty() && in_flight_.front().first <= now) {
          src_->release(in_flight_.front().second);
          in_flight_.pop_front();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  std::unique_ptr<KafkaSource> src_;
  int sink_delay_ms_;
  std::thread thread_, sink_;
  std::atomic<bool> stop_{false}, sink_stop_{false};
  std::mutex mu_;
  std::vector<Got> got_;
  std::deque<std::pair<Clock::time_point, Ticket>> in_flight_;
  std::vector<size_t> revocations_;
  size_t assigned_ = 0;
  std::string error_;
};

bool wait_for(const std::function<bool()>& cond, int timeout_ms = 30000) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

}  // namespace

namespace {

// Two members of one group; B joins while A runs, then A leaves mid-run.
// Returns how many records were delivered more than once.
size_t two_members(int sink_delay_ms, int revoke_drain_timeout_ms) {
  Producer prod;
  const int P = 3;
  std::string topic = prod.create_topic("coop", P);
  std::string group = unique("g-coop");
  int sent = 0;
  auto produce = [&](int n) {
    for (int i = 0; i < n; ++i, ++sent) prod.send(topic, sent % P, "{\"i\":" + std::to_string(sent) + "}");
    prod.flush();
  };
  produce(600);
  // Distinct records seen by either member: a re-delivery must not count
  // towards "everything arrived" (a wait on the plain sum ended with the
  // last 200 records unread while 200 others had come twice).
  auto distinct = [](Member& x, Member& y) {
    std::set<std::pair<int32_t, int64_t>> seen;
    for (Member* m : {&x, &y})
      for (const Got& g : m->got()) seen.emplace(g.partition, g.offset);
    return seen.size();
  };

  KafkaSourceConfig c = config_for(topic, group);
  c.revoke_drain_timeout_ms = revoke_drain_timeout_ms;
  Member a(c, sink_delay_ms);
  REQUIRE(wait_for([&] { return a.got().size() >= 600; }));
  CHECK(a.assigned() == P);

  Member b(c, sink_delay_ms);
  // Cooperative: A gives up only what B gets, never its whole assignment.
  REQUIRE(wait_for([&] { return b.assigned() >= 1 && a.assigned() + b.assigned() == P; }));
  REQUIRE(a.revocations().size() >= 1);
  for (size_t n : a.revocations()) CHECK(n < P);
  produce(600);
  REQUIRE(wait_for([&] { return distinct(a, b) >= 1200; }));

  a.stop();  // leaves mid-run: its partitions move to B
  REQUIRE(wait_for([&] { return b.assigned() == P; }));
  produce(600);
  REQUIRE(wait_for([&] { return distinct(a, b) >= 1800; }));
  b.stop();

  std::map<std::pair<int32_t, int64_t>, int> times;
  for (const Got& g : a.got()) times[{g.partition, g.offset}]++;
  for (const Got& g : b.got()) times[{g.partition, g.offset}]++;
  std::vector<int64_t> high = prod.high_watermarks(topic, P);
  size_t duplicates = 0;
  for (int p = 0; p < P; ++p)
    for (int64_t o = 0; o < high[p]; ++o) {
      int n = times[std::make_pair(p, o)];
      CHECK_MESSAGE(n >= 1, "partition ", p, " offset ", o, " never consumed");
      duplicates += n > 1;
    }
  CHECK(prod.committed(group, topic, P) == high);
  return duplicates;
}

}  // namespace

TEST_CASE("kafka: two members with cooperative-sticky; one leaves mid-run; every record once") {
  // Every record is released before the next poll and revocation commits
  // synchronously, so a clean hand-over re-delivers nothing.
  CHECK(two_members(0, 0) == 0);
}

TEST_CASE("kafka: acknowledgements in flight on a sink thread are drained before a revocation commits") {
  // Releases arrive 1.5 s after the poll from another thread, so records are
  // in flight when B joins; the revocation waits for them
  // (revoke_drain_timeout_ms) and commits after, so nothing is re-delivered.
  // (This also exercises the commit deferral during the rejoin: with
  // librdkafka 2.0.2 an async commit racing it would lose A's assignment.)
  CHECK(two_members(1500, 5000) == 0);
}

TEST_CASE("kafka: without draining, records in flight at a revocation are re-delivered (at-least-once)") {
  size_t duplicates = two_members(1500, 0);  // two_members checks that every record arrived
  MESSAGE("re-delivered to the new owner: ", duplicates);
}

TEST_CASE("kafka: a fenced static member fails with a clear fatal error") {
  Producer prod;
  std::string topic = prod.create_topic("fenced", 1);
  KafkaSourceConfig c = config_for(topic, unique("g-fenced"));
  c.properties.emplace_back("group.instance.id", "pipec-it-static-1");
  Member a(c);
  REQUIRE(wait_for([&] { return a.assigned() == 1; }));
  Member b(c);  // same group.instance.id: the broker fences the older member
  REQUIRE(wait_for([&] { return !a.error().empty(); }));
  CHECK(a.error().starts_with("kafka: fatal error: "));
  CHECK(a.error().find("FENCED_INSTANCE_ID") != std::string::npos);
  CHECK(a.stats().state == KafkaConnectionState::Failed);
  b.stop();
}


TEST_CASE("kafka: startup by timestamp, and a bounded run that stops at a timestamp or the high watermark") {
  Producer prod;
  const int P = 3, N = 300;
  std::string topic = prod.create_topic("time", P);
  const int64_t t0 = wall_ms() - 3600 * 1000;  // an hour ago, one record per second
  for (int i = 0; i < N; ++i) prod.send(topic, i % P, "{\"i\":" + std::to_string(i) + "}", nullptr, t0 + i * 1000);
  prod.flush();
  auto index_of = [](const Got& g) { return std::stoi(g.payload.substr(5)); };

  SUBCASE("start at a timestamp") {
    KafkaSourceConfig c = config_for(topic, unique("g-ts"));
    c.startup = KafkaStartupMode::Timestamp;
    c.startup_timestamp_ms = t0 + 100 * 1000;
    auto src = open_source(c);
    std::vector<Got> got = consume(*src, count_at_least(200));
    REQUIRE(got.size() == 200);
    std::vector<Got> more = consume(*src, count_at_least(1), 1500);
    CHECK(more.empty());
    std::set<int> idx;
    for (const Got& g : got) idx.insert(index_of(g));
    CHECK(*idx.begin() == 100);
    CHECK(*idx.rbegin() == N - 1);
    CHECK(idx.size() == 200);
    src->close();
  }
  SUBCASE("committed offsets win over the startup timestamp") {
    std::string group = unique("g-ts-committed");
    {
      auto src = open_source(config_for(topic, group));  // group-offsets: from the start
      std::vector<Got> got = consume(*src, count_at_least(N));
      for (const Got& g : got)
        if (index_of(g) < 30) src->release(g.ticket);  // i < 30: offsets 0..9 of each partition
      src->close();
    }
    KafkaSourceConfig c = config_for(topic, group);
    c.startup = KafkaStartupMode::Timestamp;
    c.startup_timestamp_ms = t0 + 250 * 1000;
    auto src = open_source(c);
    std::vector<Got> got = consume(*src, count_at_least(N - 30));
    CHECK(got.size() == N - 30);
    src->close();
  }
  SUBCASE("a bounded run stops at scan.stop.timestamp-millis") {
    std::string group = unique("g-stop");
    KafkaSourceConfig c = config_for(topic, group);
    c.startup = KafkaStartupMode::Timestamp;
    c.startup_timestamp_ms = t0 + 100 * 1000;
    c.stop_timestamp_ms = t0 + 250 * 1000;
    auto src = open_source(c);
    KafkaPollStatus last = KafkaPollStatus::Ok;
    std::vector<Got> got = consume(*src, [](const std::vector<Got>&) { return false; }, 30000, &last);
    CHECK(last == KafkaPollStatus::Finished);
    REQUIRE(got.size() == 150);
    for (const Got& g : got) {
      CHECK(index_of(g) >= 100);
      CHECK(index_of(g) < 250);
      CHECK(g.timestamp_ms == t0 + index_of(g) * 1000);
      src->release(g.ticket);
    }
    CHECK(src->stats().finished == P);
    src->close();
    // The next run of the group would continue at the first record at/after the stop.
    CHECK(prod.committed(group, topic, P) == std::vector<int64_t>{250 / 3 + 1, 250 / 3, 250 / 3});
  }
  SUBCASE("a bounded run ends at the high watermark as of its start") {
    KafkaSourceConfig c = config_for(topic, unique("g-bounded"));
    c.startup = KafkaStartupMode::Earliest;
    c.stop_timestamp_ms = wall_ms() + 24 * 3600 * 1000;  // never reached
    auto src = open_source(c);
    KafkaPollStatus last = KafkaPollStatus::Ok;
    std::vector<Got> got = consume(*src, [](const std::vector<Got>&) { return false; }, 30000, &last);
    CHECK(last == KafkaPollStatus::Finished);
    CHECK(got.size() == N);
    src->close();
  }
}

TEST_CASE("kafka: poison messages reach the decoder as frames it rejects, with their coordinates") {
  Producer prod;
  std::string topic = prod.create_topic("poison", 1);
  std::string big = "{\"a\":\"" + std::string(5000, 'z') + "\"}";
  prod.send(topic, 0, std::string("{\"a\":1}"), "k0");   // 0
  prod.send(topic, 0, std::string("{\"a\":"), "k1");     // 1 malformed
  prod.send(topic, 0, nullptr, 0, "k2");                 // 2 tombstone
  prod.send(topic, 0, big, "k3");                        // 3 oversize
  prod.send(topic, 0, std::string(""), "k4");            // 4 empty
  prod.send(topic, 0, std::string("[1,2]"), "k5");       // 5 not an object
  prod.send(topic, 0, std::string("{\"a\":\"\xff\"}"));  // 6 invalid UTF-8
  prod.send(topic, 0, "{\"a\":7}", 7, "k7", 0, {{"trace", "t-7"}, {"bin", "\x01"}});  // 7
  prod.flush();

  KafkaSourceConfig c = config_for(topic, unique("g-poison"));
  c.max_record_bytes = 1024;
  c.source_file_base = 5;
  c.with_key = c.with_headers = true;
  auto src = open_source(c);
  DecodeOptions opt;
  opt.max_record_size = c.max_record_bytes;
  DecodeSpec spec{{DecodeField{{"a"}, Type::bigint()}, DecodeField{{}, Type::string(), false, false, true},
                   DecodeField{{}, Type::string(), false, false, true},
                   DecodeField{{}, Type::string(), false, false, true}}};
  NdjsonDecoder decoder(spec, opt);
  Batch batch = decoder.make_batch();
  DecodeErrors errors;
  std::vector<KafkaMetadataColumn> meta = {
      {1, KafkaMetadataField::Key}, {2, KafkaMetadataField::Headers}, {3, KafkaMetadataField::Topic}};
  std::vector<Ticket> tickets;
  std::map<uint64_t, KafkaPayloadKind> kinds;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (batch.size + errors.errors.size() < 8 && Clock::now() < deadline) {
    std::vector<KafkaChunk> chunks;
    REQUIRE(src->poll(chunks, 100) == KafkaPollStatus::Ok);
    for (const KafkaChunk& ch : chunks) {
      uint32_t before = batch.size;
      size_t errors_before = errors.errors.size();
      REQUIRE(decoder.decode(ch.input, batch, errors));
      ch.fill_metadata(batch, before, batch.size, meta);
      // Tickets resolve from the positions of rows and of dead letters alike.
      for (uint32_t r = before; r < batch.size; ++r) tickets.push_back(src->ticket_for(batch.positions[r]));
      for (size_t e = errors_before; e < errors.errors.size(); ++e) {
        tickets.push_back(ch.ticket_for(errors.errors[e].pos.line_or_offset));
        kinds[errors.errors[e].pos.line_or_offset] = ch.meta[ch.frame_of(errors.errors[e].pos.line_or_offset)].kind;
      }
    }
  }
  REQUIRE(batch.size == 2);
  REQUIRE(errors.errors.size() == 6);
  CHECK(batch.positions[0] == SourcePosition{5, 0, 0});
  CHECK(batch.positions[1] == SourcePosition{5, 0, 7});
  CHECK(batch.columns[0].data<int64_t>()[1] == 7);
  CHECK(batch.columns[1].data<StringRef>()[0].view() == "k0");
  CHECK(batch.columns[1].is_valid(1));
  CHECK(batch.columns[1].data<StringRef>()[1].view() == "k7");
  CHECK(batch.columns[2].data<StringRef>()[1].view() == R"({"trace":"t-7","bin":"\u0001"})");
  CHECK(batch.columns[2].data<StringRef>()[0].view() == "{}");
  CHECK(batch.columns[3].data<StringRef>()[1].view() == topic);

  auto err_at = [&](uint64_t offset) -> const DecodeError& {
    for (const DecodeError& e : errors.errors)
      if (e.pos.line_or_offset == offset) return e;
    FAIL("no error at offset " << offset);
    return errors.errors[0];
  };
  CHECK(err_at(1).kind == DecodeErrorKind::MalformedJson);
  CHECK(err_at(2).kind == DecodeErrorKind::NotAnObject);
  CHECK(err_at(2).reason == "expected a JSON object at the top level, got null");
  CHECK(kinds[2] == KafkaPayloadKind::Tombstone);
  CHECK(err_at(3).kind == DecodeErrorKind::RecordTooLarge);
  CHECK(err_at(3).reason == "record of 5008 bytes exceeds the maximum record size of 1024 bytes");
  CHECK(kinds[3] == KafkaPayloadKind::Oversize);
  CHECK(err_at(4).reason == "malformed JSON at byte 0: empty record");
  CHECK(err_at(5).kind == DecodeErrorKind::NotAnObject);
  CHECK(err_at(6).kind == DecodeErrorKind::InvalidUtf8);
  for (const DecodeError& e : errors.errors) {
    CHECK(e.pos.source_file == 5);
    CHECK(e.pos.partition == 0);
  }
  CHECK(src->descriptors()[0].path_or_topic == topic);
  KafkaSourceStats st = src->stats();
  CHECK(st.tombstones == 1);
  CHECK(st.oversize == 1);

  // Dead letters are acknowledged like deliveries: the partition moves on.
  REQUIRE(tickets.size() == 8);
  for (Ticket t : tickets) CHECK(src->release(t) == AckResult::Completed);
  REQUIRE(src->commit(true));
  CHECK(src->committable({topic, 0}) == 8);
  src->close();
}

TEST_CASE("kafka: pause holds a partition back without losing records; resume continues") {
  Producer prod;
  std::string topic = prod.create_topic("pause", 1);
  for (int i = 0; i < 50; ++i) prod.send(topic, 0, "{\"i\":" + std::to_string(i) + "}");
  prod.flush();
  auto src = open_source(config_for(topic, unique("g-pause")));
  std::vector<Got> got = consume(*src, count_at_least(50));
  REQUIRE(got.size() == 50);

  src->pause_all();
  CHECK(src->stats().paused == 1);
  for (int i = 50; i < 100; ++i) prod.send(topic, 0, "{\"i\":" + std::to_string(i) + "}");
  prod.flush();
  std::vector<Got> during = consume(*src, count_at_least(1), 2000);
  CHECK(during.empty());

  src->resume_all();
  CHECK(src->stats().paused == 0);
  std::vector<Got> after = consume(*src, count_at_least(50));
  REQUIRE(after.size() == 50);
  for (size_t i = 0; i < after.size(); ++i) CHECK(after[i].offset == static_cast<int64_t>(50 + i));

  // Per-partition pause works the same way.
  src->pause({{topic, 0}});
  CHECK(src->stats().paused == 1);
  src->resume({{topic, 0}});
  CHECK(src->stats().paused == 0);
  src->close();
}

TEST_CASE("kafka: an unreachable broker is a state, not a crash; librdkafka keeps retrying") {
  KafkaSourceConfig c = config_for("nowhere", unique("g-down"));
  c.bootstrap_servers = "127.0.0.1:1";
  for (auto& [k, v] : c.properties)
    if (k == "log_level") v = "0";  // "connection refused" is the point here
  std::vector<std::string> log;
  c.log = [&](const std::string& line) { log.push_back(line); };
  auto src = open_source(c);
  std::vector<KafkaChunk> chunks;
  auto deadline = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < deadline) {
    CHECK(src->poll(chunks, 100) == KafkaPollStatus::Ok);
    if (src->state() == KafkaConnectionState::Disconnected) break;
  }
  CHECK(chunks.empty());
  CHECK(src->state() == KafkaConnectionState::Disconnected);
  CHECK_FALSE(src->stats().last_error.empty());
  CHECK(src->commit(true));  // nothing to commit
  auto t = Clock::now();
  src->close();
  CHECK(Clock::now() - t < std::chrono::seconds(5));
  CHECK(std::find(log.begin(), log.end(), "kafka: disconnected") != log.end());
}

TEST_CASE("kafka: consume throughput" * doctest::skip()) {
  Producer prod;
  const int P = 3;
  const int N = std::getenv("PIPEC_KAFKA_BENCH_N") ? std::atoi(std::getenv("PIPEC_KAFKA_BENCH_N")) : 1000000;
  std::string topic = prod.create_topic("bench", P);
  std::string payload_tail(150, 'x');
  auto t0 = Clock::now();
  for (int i = 0; i < N; ++i)
    prod.send(topic, i % P,
              "{\"order_id\":\"o-" + std::to_string(i) + "\",\"amount\":" + std::to_string(i % 1000) +
                  ".5,\"pad\":\"" + payload_tail + "\"}");
  prod.flush();
  double produce_s = std::chrono::duration<double>(Clock::now() - t0).count();
  MESSAGE("produced ", N, " messages in ", produce_s, " s");

  for (bool decode : {false, true, false, true}) {
    KafkaSourceConfig cfg = config_for(topic, unique("g-bench"));
    if (const char* extra = std::getenv("PIPEC_KAFKA_BENCH_PROPS")) {  // k=v,k=v
      std::string_view rest = extra;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view kv = rest.substr(0, comma);
        size_t eq = kv.find('=');
        cfg.properties.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
    auto src = open_source(cfg);
    NdjsonDecoder decoder(DecodeSpec{{DecodeField{{"order_id"}, Type::string()},
                                      DecodeField{{"amount"}, Type::float64()}}});
    Batch batch = decoder.make_batch();
    DecodeErrors errors;
    std::vector<KafkaChunk> chunks;
    size_t n = 0, bytes = 0;
    double decode_s = 0, poll_s = 0;
    size_t polls = 0;
    Clock::time_point start{};
    auto next_commit = Clock::now();
    while (n < static_cast<size_t>(N)) {
      chunks.clear();
      auto p0 = Clock::now();
      REQUIRE(src->poll(chunks, 100) == KafkaPollStatus::Ok);
      if (start != Clock::time_point{}) poll_s += std::chrono::duration<double>(Clock::now() - p0).count();
      ++polls;
      for (const KafkaChunk& c : chunks) {
        if (start == Clock::time_point{}) start = Clock::now();
        if (decode) {
          auto d0 = Clock::now();
          DecodeCursor cursor;
          while (true) {
            batch.reset();
            errors.clear();
            if (decoder.decode(c.input, batch, errors, cursor)) break;
          }
          decode_s += std::chrono::duration<double>(Clock::now() - d0).count();
        }
        for (size_t i = 0; i < c.size(); ++i) src->release(c.ticket(i));
        n += c.size();
        for (const auto& f : c.input->frames) bytes += f.size;
      }
      if (Clock::now() >= next_commit) {
        src->commit(false);
        next_commit = Clock::now() + std::chrono::seconds(1);
      }
    }
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    MESSAGE(std::string(decode ? "consume+decode: " : "consume: "), n, " msgs in ", s, " s = ", n / s, " msgs/s, ",
            bytes / s / 1e6, " MB/s; ", polls, " polls, ", poll_s, " s in poll", decode ? " (decoding " + std::to_string(decode_s) + " s)" : std::string());
    src->close();
  }
}
TEST_CASE("kafka: pausing drops librdkafka's prefetch; resume continues where poll() left off") {
  Producer prod;
  std::string topic = prod.create_topic("pause-prefetch", 1);
  const int N = 20000;
  for (int i = 0; i < N; ++i) prod.send(topic, 0, "{\"i\":" + std::to_string(i) + "}");
  prod.flush();
  KafkaSourceConfig c = config_for(topic, unique("g-pause-prefetch"));
  c.max_poll_records = 10;
  auto src = open_source(c);
  std::vector<Got> got = consume(*src, count_at_least(10));
  REQUIRE(got.size() == 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // librdkafka prefetches meanwhile
  src->pause_all();
  CHECK(consume(*src, count_at_least(1), 1500).empty());  // nothing, although records were fetched
  src->resume_all();
  std::vector<Got> after = consume(*src, count_at_least(N - 10));
  REQUIRE(after.size() == N - 10);
  for (size_t i = 0; i < after.size(); ++i) CHECK(after[i].offset == static_cast<int64_t>(10 + i));
  src->close();
}

TEST_CASE("kafka: polls taken in batches stop at max_poll_bytes (passed by at most one batch) and lose nothing") {
  Producer prod;
  std::string topic = prod.create_topic("poll-bytes", 1);
  const int N = 20000;
  const std::string pad(200, 'x');
  for (int i = 0; i < N; ++i) prod.send(topic, 0, "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}");
  prod.flush();
  KafkaSourceConfig c = config_for(topic, unique("g-poll-bytes"));
  c.max_poll_bytes = 16 << 10;
  auto src = open_source(c);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a full prefetch queue behind the first message
  std::vector<int64_t> offsets;
  size_t largest_poll_bytes = 0, polls = 0;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  std::vector<KafkaChunk> chunks;
  while (offsets.size() < static_cast<size_t>(N) && Clock::now() < deadline) {
    chunks.clear();
    REQUIRE(src->poll(chunks, 100) != KafkaPollStatus::Failed);
    size_t poll_bytes = 0;
    for (const KafkaChunk& ch : chunks)
      for (size_t i = 0; i < ch.size(); ++i) {
        offsets.push_back(static_cast<int64_t>(ch.input->frames[i].offset));
        poll_bytes += ch.input->frames[i].size;
      }
    largest_poll_bytes = std::max(largest_poll_bytes, poll_bytes);
    polls += poll_bytes > 0;
  }
  REQUIRE(offsets.size() == static_cast<size_t>(N));
  for (int i = 0; i < N; ++i) CHECK(offsets[i] == i);
  const size_t record_bytes = 5 + std::to_string(N).size() + 9 + pad.size() + 2;
  CHECK(largest_poll_bytes >= c.max_poll_bytes);  // full polls reach the limit
  CHECK(largest_poll_bytes < c.max_poll_bytes + 512 * record_bytes);
  CHECK(polls >= N * record_bytes / (c.max_poll_bytes + 512 * record_bytes));
  src->close();
}
