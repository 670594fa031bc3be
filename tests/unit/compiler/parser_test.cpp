#include <doctest/doctest.h>

#include "compiler/diagnostics/render.h"
#include "compiler/syntax/parser.h"

using namespace pipec;

namespace {
struct Parsed {
  SourceManager sources;
  DiagnosticEngine diags{sources};
  ast::Script script;
  std::string text() { return render_text(diags); }
};

std::unique_ptr<Parsed> parse(std::string text) {
  auto p = std::make_unique<Parsed>();
  p->script = parse_text("t.pipe", std::move(text), p->sources, p->diags);
  return p;
}
}  // namespace

TEST_CASE("a source, a sink and a pipeline parse into the AST") {
  auto p = parse(R"(
    -- orders from Kafka
    CREATE SOURCE orders (
      order_id STRING NOT NULL,
      amount DOUBLE CHECK (amount >= 0) ON VIOLATION DEAD LETTER,
      ts TIMESTAMP,
      device ROW<os STRING, version INT>,
      items ARRAY<ROW<sku STRING, qty INT>>,
      `partition` INT METADATA FROM 'partition' VIRTUAL,
      WATERMARK FOR ts AS ts - INTERVAL '10' SECOND,
      CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW
    ) WITH (connector = 'kafka', topic = 'orders', 'properties.bootstrap.servers' = 'localhost:9092',
            scan.startup.mode = 'earliest', password = secret('PW')) FORMAT JSON;
    CREATE SINK es WITH (connector = 'elasticsearch', index = 'orders-{ts|yyyy.MM.dd}', 'bulk.max-actions' = 1000);
    CREATE PIPELINE p AS INSERT INTO es
      SELECT order_id, amount * 1.1 AS gross, device.os, CASE WHEN amount > 10 THEN 'big' ELSE 'small' END AS size
      FROM orders o
      WHERE amount BETWEEN 1 AND 100 AND o.order_id NOT LIKE 'test%' AND device.os IN ('ios', 'android')
      CONSTRAINT has_os EXPECT (device.os IS NOT NULL) ON VIOLATION WARN
      DEDUPLICATE ON (order_id) WITHIN INTERVAL '1' HOUR;
  )");
  INFO(p->text());
  CHECK(p->diags.diagnostics().empty());
  REQUIRE(p->script.relations.size() == 2);
  const auto& src = p->script.relations[0];
  CHECK(src.kind == ast::RelationKind::Source);
  CHECK(src.columns.size() == 6);
  CHECK(src.columns[0].not_null);
  CHECK(src.columns[1].checks.size() == 1);
  CHECK(src.columns[1].checks[0].action == ast::ViolationAction::DeadLetter);
  CHECK(src.columns[5].name.text == "partition");
  CHECK(src.columns[5].metadata_key == "partition");
  CHECK(src.watermarks.size() == 1);
  CHECK(src.constraints[0].name.text == "positive");
  REQUIRE(src.options.size() == 5);
  CHECK(src.options[2].key == "properties.bootstrap.servers");
  CHECK(src.options[3].key == "scan.startup.mode");
  CHECK(src.options[4].value.kind == ast::OptionValue::Kind::Secret);
  CHECK(src.options[4].value.text == "PW");
  REQUIRE(p->script.pipelines.size() == 1);
  const auto& pipe = p->script.pipelines[0];
  CHECK(pipe.query.select.size() == 4);
  CHECK(pipe.query.select[1].alias.text == "gross");
  CHECK(pipe.query.from.alias.text == "o");
  CHECK(pipe.constraints.size() == 1);
  CHECK(pipe.dedups.size() == 1);
  CHECK(pipe.dedups[0].within != nullptr);
}

TEST_CASE("syntax errors are reported clang-style and the rest of the file still parses") {
  auto p = parse("CREATE SOURCE a (x INT) WITH (connector = 'file');\n"
                 "CREATE SINK s WITH (connector = 'stdout' 'oops');\n"
                 "CREATE SOURCE b (y INT) WITH (connector = 'file');\n");
  std::string out = p->text();
  CHECK(out.find("t.pipe:2:42: error: unexpected ''oops'' [SyntaxError]") != std::string::npos);
  CHECK(out.find("^~~~~~") != std::string::npos);
  CHECK(p->script.relations.size() == 2);
  CHECK(p->script.broken_names.count("s") == 1);
}

TEST_CASE("unterminated strings, stray characters, bad UTF-8 and deep nesting are diagnosed") {
  CHECK(parse("CREATE SINK s WITH (a = 'x);")->text().find("unterminated string literal") != std::string::npos);
  CHECK(parse("CREATE SINK s WITH (a = 1) $;")->text().find("unexpected character '$'") != std::string::npos);
  CHECK(parse("CREATE SINK \xff s;")->text().find("not valid UTF-8 (byte 0xff)") != std::string::npos);
  std::string deep = "CREATE PIPELINE p AS INSERT INTO s SELECT " + std::string(500, '(') + "1" +
                     std::string(500, ')') + " FROM t;";
  CHECK(parse(deep)->text().find("nesting deeper than 200") != std::string::npos);
  std::string chain = "CREATE PIPELINE p AS INSERT INTO s SELECT 1";
  for (int i = 0; i < 1000; ++i) chain += "+1";
  chain += " FROM t;";
  CHECK(parse(chain)->text().find("nesting deeper than 200") != std::string::npos);
}

TEST_CASE("columns are reported in code points after non-ASCII text") {
  auto p = parse("-- caf\xc3\xa9\nCREATE SINK s WITH (a = 'h\xc3\xa9llo' $);");
  std::string out = p->text();
  INFO(out);
  CHECK(out.find("t.pipe:2:33: error: unexpected character '$'") != std::string::npos);
}
