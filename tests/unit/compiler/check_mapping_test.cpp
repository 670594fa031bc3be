#include <doctest/doctest.h>

#include "compiler/check/mapping.h"
#include "tests/unit/compiler/check_test_util.h"

using namespace pipec;
using pipec::testing::compile;

TEST_CASE("index mappings are explicit and strict, one Elasticsearch type per column type") {
  auto c = compile(
      "CREATE SOURCE s (id STRING, n BIGINT, x DOUBLE, b BOOLEAN, ts TIMESTAMP, r ROW<a BIGINT, t ARRAY<STRING>>,\n"
      "  xs ARRAY<DOUBLE>, rs ARRAY<ROW<k STRING>>) WITH (connector = 'file', path = 's');\n"
      "CREATE SINK o WITH (connector = 'stdout', 'document.id' = 'id');\n"
      "CREATE PIPELINE p AS INSERT INTO o SELECT id, n, x, b, ts, r, xs, rs, ts - ts AS d FROM s;\n");
  INFO(c->text());
  REQUIRE(c->bound.pipelines.size() == 1);
  JsonWriter compact(false);
  write_index_mapping(compact, pipeline_fields(*c->bound.pipelines[0]));
  CHECK(compact.str() ==
        R"({"dynamic":"strict","properties":{"id":{"type":"keyword"},"n":{"type":"long"},"x":{"type":"double"},)"
        R"("b":{"type":"boolean"},"ts":{"type":"date","format":"strict_date_optional_time||epoch_millis"},)"
        R"("r":{"type":"object","dynamic":false,"properties":{"a":{"type":"long"},"t":{"type":"keyword"}}},)"
        R"("xs":{"type":"double"},"rs":{"type":"object","dynamic":false,"properties":{"k":{"type":"keyword"}}},)"
        R"("d":{"type":"long"}}})");
  CHECK(index_mapping_json(*c->bound.pipelines[0]).find("\"dynamic\": \"strict\"") != std::string::npos);
}

TEST_CASE("a sink's fields: declared columns, else its pipelines', which must agree") {
  auto c = compile(
      "CREATE SOURCE s (id STRING, n BIGINT, m STRING) WITH (connector = 'file', path = 's');\n"
      "CREATE SINK declared (id STRING, total DOUBLE) WITH (connector = 'stdout', 'document.id' = 'id');\n"
      "CREATE SINK shared WITH (connector = 'stdout', 'document.id' = 'id');\n"
      "CREATE SINK agreeing WITH (connector = 'stdout', 'document.id' = 'id');\n"
      "CREATE PIPELINE a AS INSERT INTO declared SELECT id, n AS total FROM s;\n"
      "CREATE PIPELINE b AS INSERT INTO shared SELECT id, n FROM s;\n"
      "CREATE PIPELINE c AS INSERT INTO shared SELECT id, m AS n FROM s;\n"
      "CREATE PIPELINE d AS INSERT INTO agreeing SELECT n, id FROM s;\n"
      "CREATE PIPELINE e AS INSERT INTO agreeing SELECT id, n FROM s;\n");
  std::vector<MappedField> fields;
  std::string error;
  REQUIRE(sink_fields(c->bound, *c->bound.find_sink("declared"), &fields, &error));
  REQUIRE(fields.size() == 2);
  CHECK(fields[1].type->id == TypeId::Double);
  CHECK(!sink_fields(c->bound, *c->bound.find_sink("shared"), &fields, &error));
  CHECK(error == "pipelines 'b' and 'c' write different schemas to sink 'shared': 'n' is BIGINT in 'b' but STRING in 'c'");
  CHECK(sink_fields(c->bound, *c->bound.find_sink("agreeing"), &fields, &error));

  check_shared_sinks(c->bound, c->diags);
  CHECK(c->count(DiagKind::SinkSchemaMismatch) == 1);
}
