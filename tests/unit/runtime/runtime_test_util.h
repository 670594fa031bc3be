// Helpers for operator tests: compile a small script into a logical plan,
// find its operators, build batches by hand and capture what an operator
// pushes downstream.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "compiler/bind/binder.h"
#include "compiler/diagnostics/render.h"
#include "compiler/optimize/optimizer.h"
#include "compiler/syntax/parser.h"
#include "runtime/interpret/value_io.h"
#include "runtime/operators/operator.h"

namespace pipec::testing {

// Collects the live rows pushed into it as Values (plus their positions).
class Capture : public Operator {
 public:
  explicit Capture(std::vector<PlanColumn> schema) : Operator(std::move(schema)) {}
  const char* name() const override { return "Capture"; }
  void push(Batch& batch, ExecContext&) override {
    ++batches;
    for (uint32_t i = 0; i < batch.size; ++i) {
      if (batch.row_status[i] != static_cast<uint8_t>(RowStatus::Live)) continue;
      std::vector<Value> row;
      for (size_t c = 0; c < schema().size(); ++c) row.push_back(read_value(batch.columns[c], *schema()[c].type, i));
      rows.push_back(std::move(row));
      lines.push_back(batch.positions[i].line_or_offset);
    }
  }
  void finish(ExecContext&) override { finished = true; }

  // Column `name` of every captured row, rendered as SQL literals.
  std::vector<std::string> column(const std::string& name) const {
    size_t c = 0;
    while (c < schema().size() && schema()[c].name != name) ++c;
    REQUIRE(c < schema().size());
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r[c].to_sql());
    return out;
  }

  std::vector<std::vector<Value>> rows;
  std::vector<uint64_t> lines;
  int batches = 0;
  bool finished = false;
};

// A compiled script with its (optionally optimized) plans.
struct Compiled {
  SourceManager sources;
  DiagnosticEngine diags{sources};
  BoundScript bound;
  std::vector<LogicalPipeline> plans;

  explicit Compiled(const std::string& text, bool optimized = false) {
    auto script = parse_text("test.pipe", text, sources, diags);
    bound = bind_script(script, diags);
    INFO(render_text(diags));
    REQUIRE_FALSE(diags.has_errors());
    plans = build_logical_plans(bound);
    REQUIRE_FALSE(plans.empty());
    if (optimized)
      for (auto& p : plans) optimize(p);
  }

  // The n-th operator of the given type in the first pipeline, source first.
  template <typename T>
  const T& find(LogicalOperatorType type, int nth = 0) const {
    std::vector<const LogicalOperator*> chain;
    for (const LogicalOperator* op = plans[0].root.get(); op; op = op->child.get()) chain.insert(chain.begin(), op);
    for (const auto* op : chain)
      if (op->type == type && nth-- == 0) return op->as<T>();
    FAIL("no such operator");
    throw 0;
  }
};

// A batch laid out for `schema` with one row per entry of `rows`; the values
// are given by column name (missing names are NULL). Row i gets line i + 1.
inline Batch make_batch(const std::vector<PlanColumn>& schema,
                        const std::vector<std::map<std::string, Value>>& rows, uint32_t capacity = 64) {
  Batch b(physical_types(schema), capacity);
  for (const auto& r : rows) {
    uint32_t i = b.size++;
    for (size_t c = 0; c < schema.size(); ++c) {
      auto it = r.find(schema[c].name);
      write_value(b.columns[c], i, it == r.end() ? Value::null(schema[c].type->id) : it->second, b.arena);
    }
    b.row_status[i] = static_cast<uint8_t>(RowStatus::Live);
    b.row_reason[i] = 0;
    b.raw[i] = b.arena.copy("{\"row\":" + std::to_string(i + 1) + "}");
    b.positions[i] = SourcePosition{0, -1, i + 1};
  }
  return b;
}

// A source deduplicating on k within one minute of event time (10 s watermark delay).
inline constexpr const char* kEventTimeDedupScript =
    "CREATE SOURCE ev (k STRING, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND,"
    " DEDUPLICATE ON (k) WITHIN INTERVAL '1' MINUTE) WITH (connector = 'file', path = 'x');\n"
    "CREATE SINK out WITH (connector = 'stdout');\n"
    "CREATE PIPELINE p AS INSERT INTO out SELECT k, ts FROM ev;";

inline Value I(int64_t v) { return Value::bigint(v); }
inline Value D(double v) { return Value::float64(v); }
inline Value S(const char* v) { return Value::string(v); }
inline Value T(int64_t ms) { return Value::timestamp(ms); }

}  // namespace pipec::testing
