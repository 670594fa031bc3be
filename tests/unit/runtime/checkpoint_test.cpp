// Checkpointed operator state (runtime/state): window and dedup state survive
// a save/load round trip exactly, checkpoint files reject damage with a
// precise reason, the store falls back to the previous checkpoint, and a
// pipeline refuses the checkpoints of an incompatible one.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/exec/operator_chain.h"
#include "runtime/exec/run_error.h"
#include "runtime/operators/dedup.h"
#include "runtime/operators/window_aggregate.h"
#include "runtime/sources/kafka_stream_source.h"
#include "runtime/state/checkpointer.h"
#include "tests/unit/runtime/runtime_test_util.h"

using namespace pipec;
using namespace pipec::testing;
namespace fs = std::filesystem;

namespace {

std::string fresh_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("pipec-ckpt-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(p);
  return p.string();
}

std::string window_script(const std::string& window, const std::string& options = "") {
  return "CREATE SOURCE ev (k STRING, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) "
         "WITH (connector = 'kafka', topic = 'ev', 'properties.bootstrap.servers' = '127.0.0.1:1');\n"
         "CREATE SINK out WITH (connector = 'stdout');\n"
         "CREATE PIPELINE p " + options + " AS INSERT INTO out SELECT k, window_start, count(*) AS n, sum(v) AS total, "
         "min(v) AS lo, max(k) AS hi, avg(v) AS mean, count(DISTINCT v) AS kinds FROM ev GROUP BY " + window + ", k;";
}

using Rows = std::vector<std::map<std::string, Value>>;

Rows rows_of(const std::vector<std::tuple<const char*, int64_t, int64_t>>& r) {
  Rows out;
  for (const auto& [k, v, ts] : r) out.push_back({{"k", S(k)}, {"v", I(v)}, {"ts", T(ts)}});
  return out;
}

// A window operator wired to a Capture.
struct Window {
  const LogicalWindowAggregate& plan;
  WindowAggregateOperator op;
  Capture cap;
  ExecContext ctx{"p"};
  explicit Window(const LogicalWindowAggregate& p) : plan(p), op(p), cap(p.schema) { op.set_next(&cap); }
  void push(const std::vector<std::tuple<const char*, int64_t, int64_t>>& r) {
    Batch b = make_batch(plan.child->schema, rows_of(r));
    op.push(b, ctx);
  }
  std::string save() {
    StateWriter w;
    op.save_state(w, ctx);
    return w.take();
  }
  void load(const std::string& bytes) {
    StateReader r(bytes);
    op.load_state(r, ctx);
    CHECK(r.done());
  }
  std::vector<std::string> results() const {
    std::vector<std::string> out;
    for (const auto& row : cap.rows) {
      std::string line;
      for (const auto& v : row) line += v.to_sql() + " ";
      out.push_back(line);
    }
    return out;
  }
};

const std::vector<std::tuple<const char*, int64_t, int64_t>> kBefore = {
    {"a", 1, 1000}, {"a", 2, 9000}, {"b", 5, 3000}, {"a", 2, 12000}, {"b", -7, 14000}, {"c", 4, 19500}};
const std::vector<std::tuple<const char*, int64_t, int64_t>> kAfter = {
    {"a", 9, 15000}, {"b", 5, 16000}, {"c", 1, 21000}, {"a", 3, 25000}, {"d", 8, 26000}};

// Runs kBefore, checkpoints, restores into a fresh operator and runs kAfter
// on both: the restored one must emit exactly what the uninterrupted one does.
void check_window_round_trip(const std::string& window) {
  Compiled c(window_script(window), true);
  const auto& plan = c.find<LogicalWindowAggregate>(LogicalOperatorType::WindowAggregate);
  Window original(plan), restored(plan);
  original.push(kBefore);
  size_t emitted_before = original.cap.rows.size();
  REQUIRE(original.op.open_windows() > 0);
  restored.load(original.save());
  CHECK(restored.op.open_windows() == original.op.open_windows());
  original.push(kAfter);
  restored.push(kAfter);
  original.op.finish(original.ctx);
  restored.op.finish(restored.ctx);
  std::vector<std::string> want = original.results();
  want.erase(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(emitted_before));
  CHECK(restored.results() == want);
  CHECK_FALSE(want.empty());
}

}  // namespace

TEST_CASE("window state round trip: tumbling, hopping and session panes resume exactly") {
  SUBCASE("tumble") { check_window_round_trip("TUMBLE(ts, INTERVAL '10' SECOND)"); }
  SUBCASE("hop") { check_window_round_trip("HOP(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND)"); }
  SUBCASE("session") { check_window_round_trip("SESSION(ts, INTERVAL '4' SECOND)"); }
}

TEST_CASE("window state keeps the watermark: a row for a window closed before the checkpoint stays late") {
  Compiled c(window_script("TUMBLE(ts, INTERVAL '10' SECOND)"), true);
  const auto& plan = c.find<LogicalWindowAggregate>(LogicalOperatorType::WindowAggregate);
  Window original(plan), restored(plan);
  original.push({{"a", 1, 1000}, {"a", 1, 12000}});  // watermark 11 s: [0, 10 s) emitted
  REQUIRE(original.cap.rows.size() == 1);
  restored.load(original.save());
  restored.push({{"a", 1, 2000}});  // late: not folded into a new [0, 10 s) pane
  CHECK(restored.op.open_windows() == 1);
  restored.op.finish(restored.ctx);
  REQUIRE(restored.cap.rows.size() == 1);
  CHECK(restored.cap.rows[0][1].i == 1);  // count(*) of [10 s, 20 s): only the row at 12 s
}

TEST_CASE("damaged window state is an error, not a crash") {
  Compiled c(window_script("TUMBLE(ts, INTERVAL '10' SECOND)"), true);
  const auto& plan = c.find<LogicalWindowAggregate>(LogicalOperatorType::WindowAggregate);
  Window w(plan);
  w.push(kBefore);
  std::string bytes = w.save();
  for (size_t cut : {size_t{0}, size_t{7}, bytes.size() / 2, bytes.size() - 1}) {
    Window other(plan);
    StateReader r(std::string_view(bytes).substr(0, cut));
    CHECK_THROWS_AS(other.op.load_state(r, other.ctx), StateFormatError);
  }
}

TEST_CASE("dedup state round trip: event time, and processing time as ages across clocks") {
  SUBCASE("event time") {
    Compiled c(kEventTimeDedupScript);
    const auto& plan = c.find<LogicalDedup>(LogicalOperatorType::Dedup);
    DedupOperator before(plan, {plan.within_ms, 1, 10'000, 100}), after(plan, {plan.within_ms, 1, 10'000, 100});
    Capture cap(plan.schema);
    after.set_next(&cap);
    ExecContext ctx{"p"};
    Batch b1 = make_batch(plan.child->schema, {{{"k", S("a")}, {"ts", T(0)}}, {{"k", S("b")}, {"ts", T(40'000)}}});
    before.push(b1, ctx);
    StateWriter w;
    before.save_state(w, ctx);
    StateReader r(w.bytes());
    after.load_state(r, ctx);
    CHECK(r.done());
    CHECK(after.state_size() == 2);
    Batch b2 = make_batch(plan.child->schema, {{{"k", S("a")}, {"ts", T(30'000)}},    // dup of a
                                               {{"k", S("b")}, {"ts", T(50'000)}},    // dup of b
                                               {{"k", S("c")}, {"ts", T(50'000)}},    // new
                                               {{"k", S("a")}, {"ts", T(75'000)}}});  // a expired: passes
    after.push(b2, ctx);
    CHECK(cap.column("k") == std::vector<std::string>{"'c'", "'a'"});
    CHECK(ctx.stats.deduplicated == 2);
  }
  SUBCASE("processing time") {
    Compiled c(
        "CREATE SOURCE ev (k STRING, DEDUPLICATE ON (k) WITHIN INTERVAL '1' MINUTE)"
        " WITH (connector = 'file', path = 'x');\n"
        "CREATE SINK out WITH (connector = 'stdout');\n"
        "CREATE PIPELINE p AS INSERT INTO out SELECT k FROM ev;");
    const auto& plan = c.find<LogicalDedup>(LogicalOperatorType::Dedup);
    DedupOperator before(plan, {plan.within_ms, -1, 0, 100}), after(plan, {plan.within_ms, -1, 0, 100});
    Capture cap(plan.schema);
    after.set_next(&cap);
    ExecContext ctx{"p"};
    int64_t now = 1'000;
    ctx.processing_clock = [&] { return now; };
    Batch b1 = make_batch(plan.child->schema, {{{"k", S("a")}}});
    before.push(b1, ctx);  // a first seen at 1 s
    now = 11'000;          // saved 10 s later
    StateWriter w;
    before.save_state(w, ctx);
    now = 5'000'000;  // a new process: its monotonic clock is elsewhere
    StateReader r(w.bytes());
    after.load_state(r, ctx);
    now += 40'000;  // a is 50 s old: still a duplicate
    Batch b2 = make_batch(plan.child->schema, {{{"k", S("a")}}});
    after.push(b2, ctx);
    CHECK(cap.rows.empty());
    now += 15'000;  // 65 s old: a new period
    Batch b3 = make_batch(plan.child->schema, {{{"k", S("a")}}});
    after.push(b3, ctx);
    CHECK(cap.column("k") == std::vector<std::string>{"'a'"});
  }
}

TEST_CASE("checkpoint files: round trip, and every kind of damage named") {
  CheckpointData c;
  c.id = 42;
  c.created_ms = 1'700'000'000'000;
  c.pipeline = "p";
  c.identity = "window TUMBLE\n";
  c.positions = {{"ev", 0, 120}, {"ev", 3, 7}};
  c.operator_states = {std::string("\0\1state", 7), ""};
  std::string file = encode_checkpoint(c);
  CheckpointData back = decode_checkpoint(file);
  CHECK(back.id == 42);
  CHECK(back.created_ms == c.created_ms);
  CHECK(back.pipeline == "p");
  CHECK(back.identity == c.identity);
  CHECK(back.positions == c.positions);
  CHECK(back.operator_states == c.operator_states);

  auto error_of = [](const std::string& bytes) -> std::string {
    try {
      decode_checkpoint(bytes);
    } catch (const StateFormatError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(error_of(file.substr(0, 10)).find("shorter than the 28-byte header") != std::string::npos);
  CHECK(error_of(file.substr(0, file.size() - 3)).find("truncated") != std::string::npos);
  std::string flipped = file;
  flipped[flipped.size() - 5] ^= 0x20;
  CHECK(error_of(flipped).find("checksum mismatch") != std::string::npos);
  std::string magic = file;
  magic[0] = 'X';
  CHECK(error_of(magic).find("bad magic") != std::string::npos);
  std::string version = file;
  version[8] = 9;
  CHECK(error_of(version).find("format version 9") != std::string::npos);
}

TEST_CASE("checkpoint store: keeps the last N, falls back past a truncated or flipped newest one") {
  std::string dir = fresh_dir("store");
  CheckpointStore store(dir, 2);
  for (uint64_t id = 1; id <= 3; ++id) {
    CheckpointData c;
    c.id = id;
    c.pipeline = "p";
    c.positions = {{"ev", 0, static_cast<int64_t>(id * 100)}};
    CHECK(store.write(c) > 28);
  }
  std::vector<std::string> files = store.list();
  REQUIRE(files.size() == 2);  // retained
  CHECK(files[0].find("chk-00000000000000000003.ckpt") != std::string::npos);
  CHECK(store.last_id() == 3);
  auto accept_all = [](const CheckpointData&) {};
  CHECK(store.load_newest(accept_all).checkpoint->positions[0].next_offset == 300);

  SUBCASE("truncated") { fs::resize_file(files[0], fs::file_size(files[0]) - 4); }
  SUBCASE("flipped byte") {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  CheckpointStore::Loaded loaded = store.load_newest(accept_all);
  REQUIRE(loaded.checkpoint);
  CHECK(loaded.checkpoint->id == 2);
  CHECK(loaded.path == files[1]);
  REQUIRE(loaded.skipped.size() == 1);
  CHECK(loaded.skipped[0].find(files[0]) == 0);

  // Every checkpoint damaged: nothing loads, and the caller is told how many there were.
  fs::resize_file(files[1], 5);
  loaded = store.load_newest(accept_all);
  CHECK_FALSE(loaded.checkpoint);
  CHECK(loaded.files == 2);
  CHECK(loaded.skipped.size() == 2);
  fs::remove_all(dir);
}

TEST_CASE("checkpointer: restores window state and source positions; refuses an incompatible pipeline") {
  std::string dir = fresh_dir("pipeline");
  auto options = [&](const char* interval) {
    return "WITH ('checkpoint.dir' = '" + dir + "', 'checkpoint.interval' = '" + interval + "')";
  };
  Compiled c(window_script("TUMBLE(ts, INTERVAL '1' HOUR)", options("1ms")), true);
  {
    OperatorChain chain = build_operator_chain(c.plans[0], {});
    ExecContext ctx{"p"};
    ctx.sources = {{"ev", "ev"}};
    std::unique_ptr<Checkpointer> cp = make_checkpointer(c.plans[0], false, chain, ctx);
    REQUIRE(cp);
    CHECK(cp->stats().restored_from.empty());
    Batch b = make_batch(chain.source_schema, rows_of({{"a", 5, 1000}, {"b", 7, 2000}}));
    b.positions[0] = SourcePosition{0, 0, 41};
    b.positions[1] = SourcePosition{0, 2, 9};
    chain.head()->push(b, ctx);
    cp->observe(b, DecodeErrors{}, ctx);
    usleep(2000);
    CHECK(cp->due());
    REQUIRE(cp->take(chain, ctx));
    CHECK(cp->stats().taken == 1);
    CHECK(cp->stats().last_bytes > 0);
  }
  {
    OperatorChain chain = build_operator_chain(c.plans[0], {});
    ExecContext ctx{"p"};
    std::unique_ptr<Checkpointer> cp = make_checkpointer(c.plans[0], false, chain, ctx);
    REQUIRE(cp);
    CHECK(cp->stats().restored_from.find("chk-00000000000000000001.ckpt") != std::string::npos);
    WindowAggregateOperator* window = nullptr;
    for (auto& op : chain.operators)
      if (auto* w = dynamic_cast<WindowAggregateOperator*>(op.get())) window = w;
    REQUIRE(window);
    CHECK(window->open_windows() == 2);
    const auto& starts = dynamic_cast<KafkaStreamSource&>(*chain.source).config().start_offsets;
    REQUIRE(starts.size() == 2);
    CHECK(starts[0].partition == 0);
    CHECK(starts[0].offset == 42);
    CHECK(starts[1].partition == 2);
    CHECK(starts[1].offset == 10);
  }
  {  // --reset-state: nothing restored
    OperatorChain chain = build_operator_chain(c.plans[0], {});
    ExecContext ctx{"p"};
    std::unique_ptr<Checkpointer> cp = make_checkpointer(c.plans[0], true, chain, ctx);
    REQUIRE(cp);
    CHECK(cp->stats().restored_from.empty());
    CHECK(dynamic_cast<KafkaStreamSource&>(*chain.source).config().start_offsets.empty());
  }
  {  // another window size: the state does not mean the same thing
    Compiled other(window_script("TUMBLE(ts, INTERVAL '2' HOUR)", options("30s")), true);
    OperatorChain chain = build_operator_chain(other.plans[0], {});
    ExecContext ctx{"p"};
    try {
      make_checkpointer(other.plans[0], false, chain, ctx);
      FAIL("an incompatible checkpoint was restored");
    } catch (const RunError& e) {
      std::string m = e.what();
      CHECK(m.find("cannot restore the checkpoints in " + dir) != std::string::npos);
      CHECK(m.find("size 3600000 ms") != std::string::npos);
      CHECK(m.find("size 7200000 ms") != std::string::npos);
      CHECK(m.find("--reset-state") != std::string::npos);
    }
  }
  fs::remove_all(dir);
}
