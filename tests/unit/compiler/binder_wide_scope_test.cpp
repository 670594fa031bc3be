// Regression: binding was quadratic in the width of a relation (a linear
// scan of the scope per column reference, per PRIMARY KEY column, per ROW
// field), so a 4 MiB script with a few hundred thousand columns took many
// minutes. Binding is now linear; the bound below is far above linear time
// and far below what the quadratic version took for this size.
#include <doctest/doctest.h>

#include <chrono>

#include "tests/unit/compiler/check_test_util.h"

using namespace pipec;
using pipec::testing::compile;

TEST_CASE("binding a relation with 60k columns, 60k references and a 60k-column key is linear") {
  const int n = 60000;
  std::string cols, refs, key, fields;
  for (int i = 0; i < n; ++i) {
    std::string c = "c" + std::to_string(i);
    cols += (i ? ", " : "") + c + " BIGINT";
    refs += (i ? ", " : "") + (i % 2 ? c : "S." + c);
    key += (i ? ", " : "") + c;
    fields += (i ? ", " : "") + std::string("f") + std::to_string(i) + " BIGINT";
  }
  std::string text = "CREATE SOURCE s (" + cols + ", r ROW<" + fields + ">, PRIMARY KEY (" + key +
                     ")) WITH (connector = 'file', path = 'p');\n"
                     "CREATE SINK o WITH (connector = 'stdout', 'document.id' = 'c0');\n"
                     "CREATE PIPELINE p AS INSERT INTO o SELECT " + refs + ", missing_column FROM s;\n";
  auto start = std::chrono::steady_clock::now();
  auto c = compile(text);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(seconds);
  CHECK(seconds < 20);
  CHECK(c->count(DiagKind::UnknownColumn) == 1);
  REQUIRE(c->bound.pipelines.size() == 1);
  CHECK(c->bound.pipelines[0]->outputs.size() == static_cast<size_t>(n));
  CHECK(c->bound.relations[0]->primary_key.size() == static_cast<size_t>(n));
}
