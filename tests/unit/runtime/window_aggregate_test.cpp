#include <doctest/doctest.h>

#include "compiler/bind/binder.h"
#include "compiler/diagnostics/render.h"
#include "compiler/optimize/optimizer.h"
#include "compiler/syntax/parser.h"
#include "runtime/interpret/value_io.h"
#include "runtime/operators/window_aggregate.h"

using namespace pipec;

namespace {

// Collects every row pushed into it, as Values.
class Capture : public Operator {
 public:
  explicit Capture(std::vector<PlanColumn> schema) : Operator(std::move(schema)) {}
  const char* name() const override { return "Capture"; }
  void push(Batch& batch, ExecContext&) override {
    for (uint32_t i = 0; i < batch.size; ++i) {
      if (batch.row_status[i]) continue;
      std::vector<Value> row;
      for (size_t c = 0; c < schema().size(); ++c) row.push_back(read_value(batch.columns[c], *schema()[c].type, i));
      rows.push_back(row);
    }
  }
  std::vector<std::vector<Value>> rows;
};

struct Fixture {
  SourceManager sources;
  DiagnosticEngine diags{sources};
  BoundScript bound;
  std::vector<LogicalPipeline> plans;
  const LogicalWindowAggregate* window = nullptr;

  explicit Fixture(const std::string& group_by) {
    std::string text =
        "CREATE SOURCE ev (k STRING, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) "
        "WITH (connector = 'file', path = 'x');\n"
        "CREATE SINK out WITH (connector = 'stdout', 'document.id' = 'k,window_start');\n"
        "CREATE PIPELINE p AS INSERT INTO out SELECT k, window_start, window_end, count(*) AS n, sum(v) AS total, "
        "min(v) AS lo, count(DISTINCT v) AS kinds FROM ev GROUP BY " + group_by + ", k;";
    auto script = parse_text("w.pipe", text, sources, diags);
    bound = bind_script(script, diags);
    INFO(render_text(diags));
    REQUIRE_FALSE(diags.has_errors());
    plans = build_logical_plans(bound);
    optimize(plans[0]);
    for (const LogicalOperator* op = plans[0].root.get(); op; op = op->child.get())
      if (op->type == LogicalOperatorType::WindowAggregate) window = &op->as<LogicalWindowAggregate>();
    REQUIRE(window);
  }

  // A batch of (k, v, ts) rows in the window's input layout.
  Batch batch(const std::vector<std::tuple<const char*, int64_t, int64_t>>& rows) {
    Batch b(physical_types(window->child->schema), 64);
    StringArena& a = b.arena;
    for (const auto& [k, v, ts] : rows) {
      uint32_t i = b.size++;
      for (size_t c = 0; c < window->child->schema.size(); ++c) {
        const std::string& name = window->child->schema[c].name;
        Value val = name == "k" ? Value::string(k) : name == "v" ? Value::bigint(v) : Value::timestamp(ts);
        write_value(b.columns[c], i, val, a);
      }
      b.row_status[i] = 0;
      b.raw[i] = kEmptyStringRef;
      b.positions[i] = SourcePosition{};
    }
    return b;
  }
};

// A window operator wired to a Capture, fed rows of (k, v, ts).
struct Harness {
  Fixture f;
  WindowAggregateOperator op;
  Capture cap;
  ExecContext ctx{"p"};

  explicit Harness(const std::string& group_by) : f(group_by), op(*f.window), cap(f.window->schema) {
    op.set_next(&cap);
    op.open(ctx);
  }
  void push(const std::vector<std::tuple<const char*, int64_t, int64_t>>& rows) {
    auto b = f.batch(rows);
    op.push(b, ctx);
  }
  void finish() { op.finish(ctx); }
};

}  // namespace

TEST_CASE("tumbling windows emit when the watermark passes their end, and everything at end of input") {
  Harness h("TUMBLE(ts, INTERVAL '10' SECOND)");
  auto& cap = h.cap;
  h.push({{"a", 1, 1000}, {"a", 2, 9000}, {"b", 5, 3000}, {"a", 2, 12000}});
  // watermark = 12000 - 1000 = 11000 >= 10000: the first window [0, 10s) is out.
  REQUIRE(cap.rows.size() == 2);
  // Output: k, count, sum, min, count distinct, window_start, window_end (grouped scope order)
  CHECK(cap.rows[0][0].s == "a");
  CHECK(cap.rows[0][1].i == 2);   // count(*)
  CHECK(cap.rows[0][2].i == 3);   // sum(v)
  CHECK(cap.rows[0][3].i == 1);   // min(v)
  CHECK(cap.rows[0][4].i == 2);   // count(DISTINCT v)
  CHECK(cap.rows[0][5].i == 0);
  CHECK(cap.rows[0][6].i == 10000);
  CHECK(cap.rows[1][0].s == "b");
  CHECK(h.op.open_windows() == 1);
  h.finish();
  REQUIRE(cap.rows.size() == 3);
  CHECK(cap.rows[2][5].i == 10000);
  CHECK(h.op.open_windows() == 0);
}

TEST_CASE("hop windows count a row in every window that covers it") {
  Harness h("HOP(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND)");
  auto& cap = h.cap;
  h.push({{"a", 1, 7000}});
  h.finish();
  REQUIRE(cap.rows.size() == 2);  // [0,10s) and [5s,15s)
  CHECK(cap.rows[0][5].i == 0);
  CHECK(cap.rows[1][5].i == 5000);
}

TEST_CASE("session windows merge rows closer than the gap, per key") {
  Harness h("SESSION(ts, INTERVAL '5' SECOND)");
  auto& cap = h.cap;
  h.push({{"a", 1, 1000}, {"a", 1, 4000}, {"b", 7, 4500}, {"a", 1, 20000}});
  h.finish();
  // a: [1s, 9s) with 2 rows, then [20s, 25s); b: [4.5s, 9.5s)
  REQUIRE(cap.rows.size() == 3);
  CHECK(cap.rows[0][0].s == "a");
  CHECK(cap.rows[0][1].i == 2);
  CHECK(cap.rows[0][5].i == 1000);
  CHECK(cap.rows[0][6].i == 9000);
  CHECK(cap.rows[1][0].s == "b");
  CHECK(cap.rows[2][5].i == 20000);
}

TEST_CASE("late rows are not folded into emitted windows") {
  Harness h("TUMBLE(ts, INTERVAL '10' SECOND)");
  auto& cap = h.cap;
  h.push({{"a", 1, 1000}, {"a", 1, 25000}});
  REQUIRE(cap.rows.size() == 1);
  h.push({{"a", 100, 2000}});  // its window [0,10s) is gone
  h.finish();
  REQUIRE(cap.rows.size() == 2);
  CHECK(cap.rows[0][2].i == 1);   // the late 100 was not added
  CHECK(cap.rows[1][5].i == 20000);
}
