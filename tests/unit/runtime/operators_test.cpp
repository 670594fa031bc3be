// Reference operators on hand-built batches: constraint actions, filters
// (three-valued logic), projection, dedup expiry, lookup joins, the sink's
// encoder configuration.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/operators/constraint.h"
#include "runtime/operators/dedup.h"
#include "runtime/operators/filter.h"
#include "runtime/operators/lookup_join.h"
#include "runtime/operators/project.h"
#include "runtime/operators/sink.h"
#include "runtime/exec/run_error.h"
#include "runtime/sinks/file_output.h"
#include "tests/unit/runtime/runtime_test_util.h"

using namespace pipec;
using namespace pipec::testing;

namespace {

const char* kSource =
    "CREATE SOURCE ev (id BIGINT NOT NULL, amount DOUBLE, name STRING, ts TIMESTAMP,\n"
    "  CONSTRAINT warn_big EXPECT (amount < 100) ON VIOLATION WARN,\n"
    "  CONSTRAINT drop_negative EXPECT (amount >= 0) ON VIOLATION DROP ROW,\n"
    "  CONSTRAINT dl_name EXPECT (name <> 'bad') ON VIOLATION DEAD LETTER,\n"
    "  CONSTRAINT fail_huge EXPECT (amount < 1000) ON VIOLATION FAIL PIPELINE)\n"
    "  WITH (connector = 'file', path = 'x');\n"
    "CREATE SINK out WITH (connector = 'stdout');\n";

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("pipec-unit-" + std::to_string(::getpid()) + "-" + name)).string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An ExecContext with a dead-letter queue writing to a temporary file.
struct Context {
  ExecContext ctx{"p"};
  std::string dlq_path = temp_path("dlq.ndjson");
  DeadLetterQueue dlq{"p", {{"ev", "in.ndjson"}}, dlq_path};
  Context() {
    ctx.sources = {{"ev", "in.ndjson"}};
    ctx.dead_letters = &dlq;
    dlq.clock = [] { return int64_t{0}; };
  }
  ~Context() { std::filesystem::remove(dlq_path); }
  std::string letters() {
    dlq.flush();
    return slurp(dlq_path);
  }
};

}  // namespace

TEST_CASE("constraints: WARN counts, DROP ROW filters, DEAD LETTER rejects with the reason, NULL passes") {
  Compiled c(std::string(kSource) + "CREATE PIPELINE p AS INSERT INTO out SELECT id, amount, name FROM ev;");
  const auto& plan = c.find<LogicalConstraint>(LogicalOperatorType::Constraint);
  ConstraintOperator op(plan);
  Capture cap(plan.schema);
  op.set_next(&cap);
  Context t;
  op.open(t.ctx);
  Batch b = make_batch(plan.child->schema, {
                                               {{"id", I(1)}, {"amount", D(5)}, {"name", S("ok")}},
                                               {{"id", I(2)}, {"amount", D(500)}, {"name", S("ok")}},   // warn
                                               {{"id", I(3)}, {"amount", D(-1)}, {"name", S("ok")}},    // drop
                                               {{"id", I(4)}, {"amount", D(200)}, {"name", S("bad")}},  // warn + dead letter
                                               {{"id", I(5)}, {"name", S("ok")}},                       // NULL amount passes
                                               {{"id", I(6)}, {"amount", D(-5)}, {"name", S("bad")}},   // drop stops evaluation
                                           });
  op.push(b, t.ctx);
  CHECK(cap.column("id") == std::vector<std::string>{"1", "2", "5"});
  CHECK(b.row_status[2] == static_cast<uint8_t>(RowStatus::Filtered));
  CHECK(b.row_status[3] == static_cast<uint8_t>(RowStatus::DeadLettered));
  CHECK(b.row_status[5] == static_cast<uint8_t>(RowStatus::Filtered));
  const auto& s = t.ctx.stats.constraints;
  REQUIRE(s.size() == 4);
  CHECK(s[0].name == "warn_big");
  CHECK(s[0].violations == 2);
  CHECK(s[1].violations == 2);  // rows 3 and 6
  CHECK(s[2].violations == 1);  // row 6 stopped at DROP ROW before reaching dl_name
  CHECK(s[3].violations == 0);
  // Each constraint counts the rows it evaluated: rows 3 and 6 never reach
  // dl_name, row 4 never reaches fail_huge.
  CHECK(s[0].checked == 6);
  CHECK(s[1].checked == 6);
  CHECK(s[2].checked == 4);
  CHECK(s[3].checked == 3);
  CHECK_FALSE(t.ctx.failed());
  CHECK(t.dlq.total() == 1);
  CHECK(t.dlq.counts().at("constraint dl_name") == 1);
  std::string letters = t.letters();
  CHECK(letters ==
        "{\"error\":\"constraint 'dl_name' violated: name <> 'bad'\",\"constraint\":\"dl_name\",\"pipeline\":\"p\","
        "\"source\":{\"file\":\"in.ndjson\",\"line\":4},\"record\":\"{\\\"row\\\":4}\","
        "\"time\":\"1970-01-01T00:00:00.000Z\"}\n");
}

TEST_CASE("constraints: FAIL PIPELINE dead-letters the row, keeps rows before it and stops") {
  Compiled c(std::string(kSource) + "CREATE PIPELINE p AS INSERT INTO out SELECT id FROM ev;");
  const auto& plan = c.find<LogicalConstraint>(LogicalOperatorType::Constraint);
  ConstraintOperator op(plan);
  Capture cap(plan.schema);
  op.set_next(&cap);
  Context t;
  op.open(t.ctx);
  Batch b = make_batch(plan.child->schema, {{{"id", I(1)}, {"amount", D(5)}},
                                            {{"id", I(2)}, {"amount", D(5000)}},
                                            {{"id", I(3)}, {"amount", D(7)}},
                                            {{"id", I(4)}, {"amount", D(9000)}}});
  op.push(b, t.ctx);
  CHECK(cap.column("id") == std::vector<std::string>{"1"});
  CHECK(b.size == 2);
  REQUIRE(t.ctx.failed());
  CHECK(t.ctx.failure() ==
        "constraint 'fail_huge' (ON VIOLATION FAIL PIPELINE) of ev violated by the record at in.ndjson:2: "
        "amount < 1000.0");
  CHECK(t.ctx.stats.constraints[3].violations == 1);
  CHECK(t.ctx.stats.constraints[3].checked == 2);  // rows 3 and 4 are not processed
  CHECK(t.dlq.counts().at("constraint fail_huge") == 1);
}

TEST_CASE("filter: only TRUE passes (NULL and FALSE are filtered and counted)") {
  Compiled c(std::string(kSource) +
             "CREATE PIPELINE p AS INSERT INTO out SELECT id FROM ev WHERE amount > 1 OR name = 'x';");
  const auto& plan = c.find<LogicalFilter>(LogicalOperatorType::Filter);
  FilterOperator op(plan);
  Capture cap(plan.schema);
  op.set_next(&cap);
  Context t;
  Batch b = make_batch(plan.child->schema, {{{"id", I(1)}, {"amount", D(5)}},                 // TRUE OR NULL
                                            {{"id", I(2)}, {"amount", D(0)}},                 // FALSE OR NULL
                                            {{"id", I(3)}, {"name", S("x")}},                 // NULL OR TRUE
                                            {{"id", I(4)}, {"amount", D(0)}, {"name", S("y")}},  // FALSE
                                            {{"id", I(5)}}});                                  // NULL
  b.row_status[0] = static_cast<uint8_t>(RowStatus::DeadLettered);  // already gone: untouched
  op.push(b, t.ctx);
  CHECK(cap.column("id") == std::vector<std::string>{"3"});
  CHECK(t.ctx.stats.filtered == 3);
  CHECK(b.row_status[0] == static_cast<uint8_t>(RowStatus::DeadLettered));
}

TEST_CASE("project: computed and copied columns; rows that left stay NULL") {
  Compiled c(std::string(kSource) +
             "CREATE PIPELINE p AS INSERT INTO out SELECT id, upper(name) AS up, amount * 2 AS twice, name FROM ev;");
  const auto& plan = c.find<LogicalProject>(LogicalOperatorType::Project);
  ProjectOperator op(plan);
  Capture cap(plan.schema);
  op.set_next(&cap);
  Context t;
  Batch b = make_batch(plan.child->schema, {{{"id", I(1)}, {"amount", D(1.5)}, {"name", S("ab")}},
                                            {{"id", I(2)}, {"amount", D(2)}, {"name", S("cd")}},
                                            {{"id", I(3)}}});
  b.row_status[1] = static_cast<uint8_t>(RowStatus::Filtered);
  op.push(b, t.ctx);
  CHECK(cap.column("id") == std::vector<std::string>{"1", "3"});
  CHECK(cap.column("up") == std::vector<std::string>{"'AB'", "NULL"});
  CHECK(cap.column("twice") == std::vector<std::string>{"3.0", "NULL"});
  CHECK(cap.column("name") == std::vector<std::string>{"'ab'", "NULL"});
  CHECK(cap.lines == std::vector<uint64_t>{1, 3});
}

TEST_CASE("dedup in processing time: repeats within WITHIN are dropped, an expired key passes again") {
  Compiled c(
      "CREATE SOURCE ev (k STRING, v BIGINT, DEDUPLICATE ON (k) WITHIN INTERVAL '1' MINUTE)"
      " WITH (connector = 'file', path = 'x');\n"
      "CREATE SINK out WITH (connector = 'stdout');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT k, v FROM ev;");
  const auto& plan = c.find<LogicalDedup>(LogicalOperatorType::Dedup);
  DedupOperator op(plan, {plan.within_ms, -1, 0, 1000});
  Capture cap(plan.schema);
  op.set_next(&cap);
  Context t;
  int64_t now = 0;
  t.ctx.processing_clock = [&] { return now; };
  auto push = [&](std::vector<std::map<std::string, Value>> rows) {
    Batch b = make_batch(plan.child->schema, rows);
    op.push(b, t.ctx);
  };
  push({{{"k", S("a")}, {"v", I(1)}}, {{"k", S("a")}, {"v", I(2)}}, {{"k", S("b")}, {"v", I(3)}}, {{"v", I(4)}},
        {{"v", I(5)}}});
  now = 59'999;
  push({{{"k", S("a")}, {"v", I(6)}}});
  CHECK(op.state_size() == 3);
  now = 60'000;  // a's first occurrence (t=0) is now WITHIN old
  push({{{"k", S("a")}, {"v", I(7)}}, {{"k", S("b")}, {"v", I(8)}}});
  now = 90'000;  // a's new period started at 60s
  push({{{"k", S("a")}, {"v", I(9)}}});
  CHECK(cap.column("v") == std::vector<std::string>{"1", "3", "4", "7", "8"});
  CHECK(t.ctx.stats.deduplicated == 4);
  now = 10'000'000;  // everything expires: state is bounded by WITHIN
  push({{{"k", S("z")}, {"v", I(10)}}});
  CHECK(op.state_size() == 1);
}

TEST_CASE("dedup in event time follows the watermark; max_keys bounds the state") {
  Compiled c(kEventTimeDedupScript);
  const auto& plan = c.find<LogicalDedup>(LogicalOperatorType::Dedup);
  DedupOperator op(plan, {plan.within_ms, 1, 10'000, 2});
  Capture cap(plan.schema);
  op.set_next(&cap);
  Context t;
  t.ctx.processing_clock = [] { return int64_t{0}; };  // never consulted in event time
  Batch b = make_batch(plan.child->schema, {
                                               {{"k", S("a")}, {"ts", T(0)}},
                                               {{"k", S("a")}, {"ts", T(30'000)}},   // dup
                                               {{"k", S("a")}, {"ts", T(-20'000)}},  // out of order, within 1 min: dup
                                               {{"k", S("b")}, {"ts", T(40'000)}},
                                               {{"k", S("a")}, {"ts", T(60'000)}},   // a expired: passes
                                               {{"k", S("c")}, {"ts", T(61'000)}},   // cap 2: evicts the oldest (b)
                                               {{"k", S("b")}, {"ts", T(62'000)}},   // evicted early: passes again
                                           });
  op.push(b, t.ctx);
  CHECK(cap.column("ts").size() == 5);
  CHECK(t.ctx.stats.deduplicated == 2);
  CHECK(op.evicted_early() >= 1);
  CHECK(op.state_size() <= 2);
}

TEST_CASE("lookup join: inner drops misses and NULL keys, left keeps them; residual picks the first match") {
  Compiled c(
      "CREATE SOURCE ev (id BIGINT NOT NULL, code STRING, qty BIGINT) WITH (connector = 'file', path = 'x');\n"
      "CREATE TABLE t (code BIGINT NOT NULL, min_qty BIGINT, label STRING) WITH (connector = 'file', path = 'y');\n"
      "CREATE SINK out WITH (connector = 'stdout');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT e.id, t.label FROM ev e JOIN t ON t.code = CAST(e.code AS BIGINT)"
      " AND e.qty >= t.min_qty;\n");
  const auto& plan = c.find<LogicalLookupJoin>(LogicalOperatorType::LookupJoin);
  auto table = std::make_shared<LookupTable>(LookupTable::from_text(
      *plan.table, "t.ndjson",
      "{\"code\":1,\"min_qty\":10,\"label\":\"one-bulk\"}\n{\"code\":1,\"min_qty\":0,\"label\":\"one\"}\n"
      "{\"code\":2,\"min_qty\":0,\"label\":\"two\"}\n"));
  auto rows = std::vector<std::map<std::string, Value>>{{{"id", I(1)}, {"code", S("1")}, {"qty", I(50)}},
                                                        {{"id", I(2)}, {"code", S("1")}, {"qty", I(5)}},
                                                        {{"id", I(3)}, {"code", S("2")}, {"qty", I(1)}},
                                                        {{"id", I(4)}, {"code", S("3")}, {"qty", I(1)}},
                                                        {{"id", I(5)}, {"code", S("x")}, {"qty", I(1)}},
                                                        {{"id", I(6)}, {"code", S("1")}}};  // residual NULL
  {
    LookupJoinOperator op(plan, table);
    Capture cap(plan.schema);
    op.set_next(&cap);
    Context t;
    op.open(t.ctx);
    Batch b = make_batch(plan.child->schema, rows);
    op.push(b, t.ctx);
    CHECK(cap.column("id") == std::vector<std::string>{"1", "2", "3"});
    CHECK(cap.column("label") == std::vector<std::string>{"'one-bulk'", "'one'", "'two'"});
    CHECK(t.ctx.stats.join_misses == 3);
  }
  {
    const_cast<LogicalLookupJoin&>(plan).left = true;  // the same join as LEFT JOIN
    LookupJoinOperator op(plan, table);
    Capture cap(plan.schema);
    op.set_next(&cap);
    Context t;
    op.open(t.ctx);
    Batch b = make_batch(plan.child->schema, rows);
    op.push(b, t.ctx);
    CHECK(cap.column("label") == std::vector<std::string>{"'one-bulk'", "'one'", "'two'", "NULL", "NULL", "NULL"});
    CHECK(t.ctx.stats.join_misses == 0);
  }
}

TEST_CASE("sink: document ids from key columns or the source position; unroutable rows are dead-lettered") {
  Compiled c(
      "CREATE SOURCE ev (id BIGINT NOT NULL, ts TIMESTAMP) WITH (connector = 'file', path = 'x');\n"
      "CREATE SINK out WITH (connector = 'file', path = 'unused', index = 'i-{ts|yyyy}', 'document.id' = 'id');\n"
      "CREATE SINK anon WITH (connector = 'stdout');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT id, ts FROM ev;\n"
      "CREATE PIPELINE q AS INSERT INTO anon SELECT id FROM ev;\n");
  const auto& keyed = c.plans[0].root->as<LogicalSink>();
  BulkEncoderConfig k = bulk_config(keyed, {});
  CHECK(k.id_mode == DocumentIdMode::Key);
  REQUIRE(k.id_key.size() == 1);
  CHECK(k.id_key[0].column == 0);
  CHECK(k.index.text() == "i-{ts|yyyy}");
  const auto& anon = c.plans[1].root->as<LogicalSink>();
  BulkEncoderConfig a = bulk_config(anon, {{"ev", "in.ndjson"}});
  CHECK(a.id_mode == DocumentIdMode::Position);
  CHECK(a.index.text() == "anon");

  std::string out_path = temp_path("sink.ndjson");
  SinkOperator op(keyed, std::make_unique<FileOutput>(out_path));
  Context t;
  op.open(t.ctx);
  Batch b = make_batch(keyed.child->schema, {{{"id", I(7)}, {"ts", T(0)}}, {{"id", I(8)}}});
  op.push(b, t.ctx);
  op.finish(t.ctx);
  CHECK(t.ctx.stats.documents_out == 1);
  CHECK(t.ctx.stats.sink_rejected == 1);
  CHECK(t.dlq.counts().at("sink") == 1);
  std::string bulk = slurp(out_path);
  CHECK(bulk.rfind("{\"index\":{\"_index\":\"i-1970\",\"_id\":\"", 0) == 0);
  CHECK(bulk.find("{\"id\":7,\"ts\":\"1970-01-01T00:00:00.000Z\"}\n") != std::string::npos);
  std::filesystem::remove(out_path);
}

TEST_CASE("sink: an unwritable output fails at open with the path in the message") {
  Compiled c(
      "CREATE SOURCE ev (id BIGINT) WITH (connector = 'file', path = 'x');\n"
      "CREATE SINK out WITH (connector = 'file', path = '/proc/pipec-cannot-write/x.ndjson');\n"
      "CREATE PIPELINE p AS INSERT INTO out SELECT id FROM ev;\n");
  const auto& sink = c.plans[0].root->as<LogicalSink>();
  SinkOperator op(sink, make_sink_output(*sink.sink));
  Context t;
  try {
    op.open(t.ctx);
    FAIL("expected a RunError");
  } catch (const RunError& e) {
    CHECK(e.exit_code() == 2);
    CHECK(std::string(e.what()).find("/proc/pipec-cannot-write/x.ndjson") != std::string::npos);
  }
}
