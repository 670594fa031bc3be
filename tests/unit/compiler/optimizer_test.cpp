#include <doctest/doctest.h>

#include "compiler/bind/binder.h"
#include "compiler/diagnostics/render.h"
#include "compiler/explain/explain.h"
#include "compiler/optimize/optimizer.h"
#include "compiler/syntax/parser.h"

using namespace pipec;

namespace {

const char* kScript = R"(
CREATE SOURCE orders (
  order_id STRING NOT NULL,
  amount DOUBLE,
  currency STRING,
  note STRING,
  device ROW<os STRING, version INT, extra ROW<a STRING>>,
  items ARRAY<ROW<sku STRING>>,
  user_id STRING,
  ts TIMESTAMP
) WITH (connector = 'file', path = 'orders.ndjson');
CREATE TABLE users (id STRING NOT NULL, country STRING) WITH (connector = 'file', path = 'users.ndjson');
CREATE SINK out WITH (connector = 'stdout', 'document.id' = 'order_id');
CREATE PIPELINE p AS INSERT INTO out
  SELECT order_id, amount * 2 AS doubled, device.os AS os, u.country
  FROM orders o JOIN users u ON u.id = o.user_id
  WHERE amount > 1 + 1 AND u.country <> 'XX' AND 2 > 1
  CONSTRAINT positive EXPECT (doubled > 0) ON VIOLATION DEAD LETTER;
)";

struct Compiled {
  SourceManager sources;
  DiagnosticEngine diags{sources};
  BoundScript bound;
  std::vector<LogicalPipeline> plans;
  std::vector<PassReport> reports;
};

std::unique_ptr<Compiled> compile(const OptimizerOptions& options) {
  auto c = std::make_unique<Compiled>();
  auto script = parse_text("opt.pipe", kScript, c->sources, c->diags);
  c->bound = bind_script(script, c->diags);
  INFO(render_text(c->diags));
  REQUIRE_FALSE(c->diags.has_errors());
  c->plans = build_logical_plans(c->bound);
  REQUIRE(c->plans.size() == 1);
  c->reports = optimize(c->plans[0], options);
  return c;
}

std::vector<const LogicalOperator*> chain(const LogicalPipeline& p) {
  std::vector<const LogicalOperator*> out;
  for (const LogicalOperator* op = p.root.get(); op; op = op->child.get()) out.insert(out.begin(), op);
  return out;
}

const LogicalSource& source_of(const LogicalPipeline& p) { return chain(p).front()->as<LogicalSource>(); }

}  // namespace

TEST_CASE("projection pruning decodes only used fields and nested paths; NOT NULL fields stay") {
  auto c = compile({});
  const auto& src = source_of(c->plans[0]);
  std::vector<std::string> names;
  for (const auto& d : src.decode) names.push_back(d.name);
  // note, items, ts, device.version and device.extra are never read.
  CHECK(names == std::vector<std::string>{"order_id", "amount", "device.os", "user_id"});
  CHECK(src.decode[2].path == std::vector<std::string>{"device", "os"});
  CHECK(src.decode[0].not_null);

  auto off = compile({{"projection_pruning"}});
  CHECK(source_of(off->plans[0]).decode.size() == 8);
}

TEST_CASE("constant folding removes constant conjuncts and folds arithmetic") {
  auto c = compile({});
  std::string text = render_explain({{&c->plans[0], lower_to_physical(c->plans[0]), c->reports}}, ExplainFormat::Text,
                                    ExplainLevel::Logical);
  INFO(text);
  CHECK(text.find("amount > 2.0") != std::string::npos);
  CHECK(text.find("2 > 1") == std::string::npos);
  auto off = compile({{"constant_folding"}});
  std::string raw = render_explain({{&off->plans[0], lower_to_physical(off->plans[0]), off->reports}},
                                   ExplainFormat::Text, ExplainLevel::Logical);
  CHECK(raw.find("1 + 1") != std::string::npos);
}

TEST_CASE("predicate pushdown moves stream-only conjuncts below the lookup join") {
  auto c = compile({});
  auto ops = chain(c->plans[0]);
  // Source, Filter(amount), LookupJoin, Filter(country), Constraint, Project, Sink
  REQUIRE(ops.size() == 7);
  CHECK(ops[1]->type == LogicalOperatorType::Filter);
  CHECK(to_sql(*ops[1]->as<LogicalFilter>().predicate) == "amount > 2.0");
  CHECK(ops[2]->type == LogicalOperatorType::LookupJoin);
  CHECK(ops[3]->type == LogicalOperatorType::Filter);
  CHECK(to_sql(*ops[3]->as<LogicalFilter>().predicate) == "country <> 'XX'");

  auto off = compile({{"predicate_pushdown"}});
  auto raw = chain(off->plans[0]);
  CHECK(raw[1]->type == LogicalOperatorType::LookupJoin);
}

TEST_CASE("constraint placement evaluates pipeline constraints on the projection's inputs") {
  auto c = compile({});
  auto ops = chain(c->plans[0]);
  REQUIRE(ops[4]->type == LogicalOperatorType::Constraint);
  CHECK(to_sql(*ops[4]->as<LogicalConstraint>().constraints[0].expr) == "(amount * 2.0) > 0.0");
  CHECK(ops[5]->type == LogicalOperatorType::Project);

  // Fused: the filter after the join, the constraint and the projection form one kernel.
  auto physical = lower_to_physical(c->plans[0]);
  CHECK(physical.kernel_count == 2);
  const auto& k1 = physical.stages[3];
  CHECK(k1.kind == PhysicalStage::Kind::Kernel);
  CHECK(k1.operators.size() == 3);

  auto off = compile({{"constraint_placement"}});
  auto raw = chain(off->plans[0]);
  CHECK(raw[4]->type == LogicalOperatorType::Project);
  CHECK(raw[5]->type == LogicalOperatorType::Constraint);
}

TEST_CASE("explain JSON carries format_version, passes and the pruned decode set") {
  auto c = compile({});
  std::string json = render_explain({{&c->plans[0], lower_to_physical(c->plans[0]), c->reports}}, ExplainFormat::Json,
                                    ExplainLevel::Both);
  CHECK(json.find("\"format_version\": 1") != std::string::npos);
  CHECK(json.find("\"pass\": \"projection_pruning\"") != std::string::npos);
  CHECK(json.find("\"name\": \"device.os\"") != std::string::npos);
  CHECK(json.find("\"stage\": \"Kernel\"") != std::string::npos);
}
