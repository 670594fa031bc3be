// Regression: window_start/window_end index the grouped scope
// [group keys..., aggregates..., window_start, window_end], so they may only
// be resolved once every aggregate of the SELECT list and HAVING is known.
#include <doctest/doctest.h>

#include "tests/unit/compiler/check_test_util.h"

using namespace pipec;
using pipec::testing::compile;

TEST_CASE("window_start selected before the aggregates reads the window start, not an aggregate") {
  auto c = compile(
      "CREATE SOURCE s (k BIGINT, x DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts)\n"
      "  WITH (connector = 'file', path = 's');\n"
      "CREATE SINK o WITH (connector = 'stdout', 'document.id' = 'k,window_start');\n"
      "CREATE PIPELINE p AS INSERT INTO o\n"
      "  SELECT k, window_start, count(*) AS n, window_end, sum(x) AS total FROM s\n"
      "  GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)\n"
      "  HAVING max(x) > 0;\n");
  INFO(c->text());
  REQUIRE(!c->diags.has_errors());
  const PipelineDef& p = *c->bound.pipelines[0];
  REQUIRE(p.aggregates.size() == 3);  // count(*), sum(x), max(x)
  REQUIRE(p.outputs.size() == 5);
  auto column_of = [&](size_t i) {
    REQUIRE(p.outputs[i].expr->kind == BoundKind::Column);
    return p.outputs[i].expr->column;
  };
  CHECK(column_of(0) == 0);  // k
  CHECK(column_of(1) == 4);  // window_start: 1 key + 3 aggregates
  CHECK(column_of(2) == 1);  // count(*)
  CHECK(column_of(3) == 5);  // window_end
  CHECK(column_of(4) == 2);  // sum(x)
  CHECK(p.outputs[1].expr->type->id == TypeId::Timestamp);
  REQUIRE(p.having);
  CHECK(p.having->children[0]->column == 3);  // max(x)
}

TEST_CASE("HAVING without GROUP BY has its own diagnostic") {
  auto c = compile(
      "CREATE SOURCE s (k BIGINT) WITH (connector = 'file', path = 's');\n"
      "CREATE SINK o WITH (connector = 'stdout', 'document.id' = 'k');\n"
      "CREATE PIPELINE p AS INSERT INTO o SELECT k FROM s HAVING k > 1;\n");
  CHECK(c->count(DiagKind::HavingWithoutGroupBy) == 1);
  CHECK(c->count(DiagKind::AggregateNotAllowed) == 0);
}

TEST_CASE("a window that fails to bind is reported once, not also as a missing window") {
  auto c = compile(
      "CREATE SOURCE s (k BIGINT, ts TIMESTAMP) WITH (connector = 'file', path = 's');\n"
      "CREATE SINK o WITH (connector = 'stdout', 'document.id' = 'k');\n"
      "CREATE PIPELINE p AS INSERT INTO o SELECT k, count(*) AS n FROM s GROUP BY k, TUMBLE(k, INTERVAL '1' SECOND);\n");
  CHECK(c->count(DiagKind::InvalidWindow) == 1);
}

TEST_CASE("outputs that failed to bind do not also fail the document id check") {
  auto c = compile(
      "CREATE SOURCE s (k BIGINT) WITH (connector = 'file', path = 's');\n"
      "CREATE SINK o WITH (connector = 'stdout', 'document.id' = 'key');\n"
      "CREATE PIPELINE p AS INSERT INTO o SELECT kk AS key FROM s;\n"
      "CREATE PIPELINE q AS INSERT INTO o SELECT k AS key2 FROM s;\n");
  INFO(c->text());
  CHECK(c->count(DiagKind::UnknownColumn) == 1);
  CHECK(c->count(DiagKind::InvalidDocumentId) == 1);  // only q's
}
