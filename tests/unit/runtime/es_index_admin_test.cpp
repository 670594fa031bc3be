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

TEST_CASE("es admin: how an existing index's mapping differs from the pipeline's") {
  const char* wanted = R"({"properties":{"id":{"type":"long"},"ts":{"type":"date"},"amount":{"type":"double"},
    "device":{"properties":{"os":{"type":"keyword"},"model":{"type":"keyword"}}}}})";
  // The same mapping, and one with more fields and other options: nothing to say.
  CHECK(mapping_differences(wanted, wanted).empty());
  CHECK(mapping_differences(wanted, R"({"dynamic":"strict","properties":{"id":{"type":"long"},
    "ts":{"type":"date","format":"strict_date_optional_time"},"amount":{"type":"double"},"extra":{"type":"text"},
    "device":{"properties":{"os":{"type":"keyword"},"model":{"type":"keyword"}}}}})").empty());

  // Dynamic mapping made 'amount' a long (decimals truncated) and 'ts' text; 'device.model' is missing.
  auto d = mapping_differences(wanted, R"({"properties":{"id":{"type":"long"},"ts":{"type":"text"},
    "amount":{"type":"long"},"device":{"properties":{"os":{"type":"keyword"}}}}})");
  REQUIRE(d.size() == 3);
  CHECK(d[0] == "'ts' is text in the index, date in the pipeline");
  CHECK(d[1] == "'amount' is long in the index, double in the pipeline");
  CHECK(d[2] == "'device.model' is not in the index's mapping (dynamic mapping picks its type from the first document)");

  // A strict index rejects documents with unmapped fields; strictness is inherited and can be overridden.
  d = mapping_differences(wanted, R"({"dynamic":"strict","properties":{"id":{"type":"long"},"ts":{"type":"date"},
    "device":{"dynamic":"true","properties":{"os":{"type":"keyword"}}}}})");
  REQUIRE(d.size() == 2);
  CHECK(d[0] == "'amount' is not in the index's mapping (dynamic: strict: documents with it are rejected)");
  CHECK(d[1] == "'device.model' is not in the index's mapping (dynamic mapping picks its type from the first document)");

  // An object where the pipeline has a value, and an index that maps nothing yet.
  d = mapping_differences(R"({"properties":{"device":{"type":"keyword"}}})",
                          R"({"properties":{"device":{"properties":{"os":{"type":"keyword"}}}}})");
  REQUIRE(d.size() == 1);
  CHECK(d[0] == "'device' is object in the index, keyword in the pipeline");
  CHECK(mapping_differences(R"({"properties":{"id":{"type":"long"}}})", "{}") ==
        std::vector<std::string>{"'id' is not in the index's mapping (dynamic mapping picks its type from the first document)"});
  CHECK_THROWS_AS(mapping_differences("[]", "{}"), std::invalid_argument);
}
