// The pure parts of index management; calls against OpenSearch are in
// tests/integration/test_es_client.py.
#include <doctest/doctest.h>

#include <stdexcept>

#include "runtime/sinks/elasticsearch/index_admin.h"

using namespace pipec::es;

TEST_CASE("es admin: mappings become strict unless they say otherwise") {
  CHECK(strict_mappings(R"({"properties":{"id":{"type":"long"}}})") ==
        R"({"dynamic":"strict","properties":{"id":{"type":"long"}}})");
  CHECK(strict_mappings(" { } ") == R"({"dynamic":"strict" } )");
  CHECK(strict_mappings(R"({"dynamic":false,"properties":{}})") == R"({"dynamic":false,"properties":{}})");
  CHECK_THROWS_AS(strict_mappings("[1]"), std::invalid_argument);
  CHECK_THROWS_AS(strict_mappings("{"), std::invalid_argument);
}

TEST_CASE("es admin: template patterns from index names") {
  CHECK(template_pattern("orders") == "orders");
  CHECK(template_pattern("orders-{ts|yyyy.MM.dd}") == "orders-*");
  CHECK(template_pattern("{region}-orders-{ts|yyyy.MM}") == "*-orders-*");
  CHECK(template_pattern("a{x}{y}b") == "a*b");
  CHECK(template_pattern("broken{x") == "broken{x");
}
