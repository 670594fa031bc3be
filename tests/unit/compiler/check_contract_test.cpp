#include <doctest/doctest.h>

#include "compiler/check/contract.h"
#include "tests/unit/compiler/check_test_util.h"

using namespace pipec;
using pipec::testing::compile;

namespace {

const char* kBase =
    "CREATE SOURCE orders (id STRING NOT NULL, n BIGINT, note STRING,\n"
    "  CONSTRAINT pos EXPECT (n >= 0) ON VIOLATION DROP ROW)\n"
    "  WITH (connector = 'file', path = 'o.ndjson');\n"
    "CREATE SINK es WITH (connector = 'elasticsearch', hosts = 'http://h:9200', index = 'o', 'document.id' = 'id');\n"
    "CREATE PIPELINE p AS INSERT INTO es SELECT id, n FROM orders\n"
    "  CONSTRAINT w EXPECT (id <> 'x') ON VIOLATION WARN;\n";

struct Verdict {
  std::vector<std::string> breaking, compatible;
};

Verdict diff(const std::string& before, const std::string& after) {
  auto old_script = compile(before, false);
  auto new_script = compile(after, false);
  REQUIRE(!old_script->diags.has_errors());
  REQUIRE(!new_script->diags.has_errors());
  DiagnosticEngine diags(new_script->sources);
  check_contract(old_script->bound, new_script->bound, diags);
  Verdict v;
  for (const auto& d : diags.diagnostics()) {
    CHECK(d.span.valid);
    (d.kind == DiagKind::ContractBreaking ? v.breaking : v.compatible).push_back(d.message);
  }
  return v;
}

std::string replace(std::string s, const std::string& a, const std::string& b) {
  size_t at = s.find(a);
  REQUIRE(at != std::string::npos);
  return s.replace(at, a.size(), b);
}

}  // namespace

TEST_CASE("an identical script has no contract changes") {
  Verdict v = diff(kBase, kBase);
  CHECK(v.breaking.empty());
  CHECK(v.compatible.empty());
}

TEST_CASE("breaking changes are named one by one") {
  std::string s = kBase;
  s = replace(s, "n BIGINT", "n STRING");
  s = replace(s, ", note STRING", "");
  s = replace(s, "id STRING NOT NULL, ", "id STRING NOT NULL, extra BIGINT NOT NULL, ");
  s = replace(s, "index = 'o'", "index = 'o2'");
  s = replace(s, "'document.id' = 'id'", "'document.id' = 'id,n'");
  s = replace(s, "(n >= 0) ON VIOLATION DROP ROW", "(n <> '') ON VIOLATION FAIL PIPELINE");
  Verdict v = diff(kBase, s);
  CHECK(v.breaking == std::vector<std::string>{
                          "breaking change: column 'n' of source 'orders' changed type from BIGINT to STRING",
                          "breaking change: column 'note' was removed from source 'orders'",
                          "breaking change: new column 'extra' of source 'orders' is NOT NULL",
                          "breaking change: constraint 'pos' of source 'orders' escalated from DROP ROW to FAIL PIPELINE",
                          "breaking change: constraint 'pos' of source 'orders' changed its condition from 'n >= 0' to "
                          "'n <> '''",
                          "breaking change: document id of sink 'es' changed from 'id' to 'id,n'",
                          "breaking change: sink 'es' now writes to index 'o2' instead of 'o'",
                          "breaking change: output column 'n' of pipeline 'p' changed type from BIGINT to STRING",
                      });
  CHECK(v.compatible.empty());
}

TEST_CASE("removals are breaking and reported at the file start") {
  Verdict v = diff(kBase, "CREATE SOURCE other (x BIGINT) WITH (connector = 'file', path = 'x');\n");
  CHECK(v.breaking == std::vector<std::string>{"breaking change: source 'orders' was removed",
                                               "breaking change: sink 'es' was removed",
                                               "breaking change: pipeline 'p' was removed"});
  CHECK(v.compatible == std::vector<std::string>{"compatible change: new source 'other'"});
}

TEST_CASE("compatible changes are notes") {
  std::string s = kBase;
  s = replace(s, "id STRING NOT NULL, n BIGINT", "id STRING, n BIGINT, added DOUBLE");
  s = replace(s, "ON VIOLATION DROP ROW", "ON VIOLATION WARN");
  s = replace(s, "SELECT id, n FROM", "SELECT id, n, note FROM");
  s = replace(s, "(id <> 'x')", "(id <> 'y')");
  Verdict v = diff(kBase, s);
  CHECK(v.breaking.empty());
  CHECK(v.compatible == std::vector<std::string>{
                            "compatible change: column 'id' of source 'orders' is no longer NOT NULL",
                            "compatible change: new nullable column 'added' in source 'orders'",
                            "compatible change: constraint 'pos' of source 'orders' relaxed from DROP ROW to WARN",
                            "compatible change: new output column 'note' in pipeline 'p'",
                            "compatible change: WARN constraint 'w' of pipeline 'p' changed its condition from "
                            "'id <> 'x'' to 'id <> 'y''",
                        });
}

TEST_CASE("new constraints: breaking unless WARN; removed constraints are compatible") {
  std::string s = kBase;
  s = replace(s, "  CONSTRAINT pos EXPECT (n >= 0) ON VIOLATION DROP ROW)", "  CONSTRAINT big EXPECT (n < 5) ON VIOLATION DEAD LETTER)");
  s = replace(s, "ON VIOLATION WARN;", "ON VIOLATION WARN\n  CONSTRAINT soft EXPECT (n > 1);");
  Verdict v = diff(kBase, s);
  CHECK(v.breaking == std::vector<std::string>{
                          "breaking change: new constraint 'big' on source 'orders' can reject rows accepted before "
                          "(ON VIOLATION DEAD LETTER)"});
  CHECK(v.compatible == std::vector<std::string>{"compatible change: constraint 'pos' of source 'orders' was removed",
                                                 "compatible change: new WARN constraint 'soft' on pipeline 'p'"});
}
