// _bulk response parsing and classification. The bodies are real answers of
// OpenSearch 2.19.1 (tools/services/opensearch.sh) unless marked otherwise.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/sinks/elasticsearch/bulk_response.h"

using namespace pipec::es;

namespace {

std::vector<BulkItem> sent(std::initializer_list<BulkOp> ops) {
  std::vector<BulkItem> out;
  for (BulkOp op : ops) {
    BulkItem it;
    it.op = op;
    out.push_back(it);
  }
  return out;
}

// Index "cap": {"dynamic":"strict","properties":{"id":{"type":"long"},"name":{"type":"keyword"}}}.
const char* kSuccess =
    R"J({"took":48,"errors":false,"items":[{"index":{"_index":"cap","_id":"1","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},{"create":{"_index":"cap","_id":"2","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":1,"_primary_term":1,"status":201}}]})J";

// A bad long, an unknown field under "dynamic":"strict", a create of an
// existing id, and a good document, in one request.
const char* kMixed =
    R"J({"took":10,"errors":true,"items":[{"index":{"_index":"cap","_id":"3","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [id] of type [long] in document with id '3'. Preview of field's value: 'abc'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"abc\""}}}},{"index":{"_index":"cap","_id":"4","status":400,"error":{"type":"strict_dynamic_mapping_exception","reason":"mapping set to strict, dynamic introduction of [zzz] within [_doc] is not allowed"}}},{"create":{"_index":"cap","_id":"2","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[2]: version conflict, document already exists (current version [1])","index":"cap","shard":"0","index_uuid":"I4XRKmqJSgS2Omy3HBhMvA"}}},{"index":{"_index":"cap","_id":"5","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":2,"_primary_term":1,"status":201}}]})J";

// The same request with filter_path=errors,items.*.status,items.*.error (what BulkClient asks for).
const char* kMixedFiltered =
    R"J({"errors":true,"items":[{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [id] of type [long] in document with id '3'. Preview of field's value: 'abc'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"abc\""}}}},{"index":{"status":400,"error":{"type":"strict_dynamic_mapping_exception","reason":"mapping set to strict, dynamic introduction of [zzz] within [_doc] is not allowed"}}},{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"[2]: version conflict, document already exists (current version [1])","index":"cap","shard":"0","index_uuid":"I4XRKmqJSgS2Omy3HBhMvA"}}},{"index":{"status":200}}]})J";

// Per-item 429: a single node never rejects per item, so this is the shape
// Elasticsearch documents (and tools/faultproxy injects), not a capture.
const char* kItem429 =
    R"J({"took":3,"errors":true,"items":[{"index":{"_index":"cap","_id":"1","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=108, max_coordinating_and_primary_bytes=107]"}}},{"index":{"_index":"cap","_id":"2","_version":3,"result":"updated","status":200}},{"index":{"_index":"cap","_id":"3","status":503,"error":{"type":"unavailable_shards_exception","reason":"[cap][0] primary shard is not active Timeout: [1m]"}}}]})J";

// Whole-request answers (non-2xx).
const char* kWhole429 =  // indexing_pressure.memory.limit: 2kb
    R"J({"error":{"root_cause":[{"type":"rejected_execution_exception","reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=19512, max_coordinating_and_primary_bytes=2048]"}],"type":"rejected_execution_exception","reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=19512, max_coordinating_and_primary_bytes=2048]"},"status":429})J";
const char* kWhole400 =
    R"J({"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"}],"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"},"status":400})J";
const char* kWhole404 =
    R"J({"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [nope]","index":"nope","resource.id":"nope","resource.type":"index_or_alias","index_uuid":"_na_"}],"type":"index_not_found_exception","reason":"no such index [nope]","index":"nope","resource.id":"nope","resource.type":"index_or_alias","index_uuid":"_na_"},"status":404})J";

}  // namespace

TEST_CASE("es response: all created") {
  BulkResponseParser p;
  std::string body = kSuccess;
  BulkResponse r;
  std::string err;
  auto items = sent({BulkOp::Index, BulkOp::Create});
  REQUIRE(p.parse(body, items, r, &err));
  CHECK_FALSE(r.errors);
  REQUIRE(r.items.size() == 2);
  CHECK(r.items[0].status == 201);
  CHECK(r.items[0].outcome == ItemOutcome::Success);
  CHECK(r.items[1].outcome == ItemOutcome::Success);
  CHECK(r.items[1].error.empty());
  CHECK(r.failed() == 0);
}

TEST_CASE("es response: mapping errors are permanent with type and reason; 409 on create is success") {
  for (const char* text : {kMixed, kMixedFiltered}) {
    BulkResponseParser p;
    std::string body = text;
    BulkResponse r;
    auto items = sent({BulkOp::Index, BulkOp::Index, BulkOp::Create, BulkOp::Index});
    REQUIRE(p.parse(body, items, r, nullptr));
    CHECK(r.errors);
    REQUIRE(r.items.size() == 4);
    CHECK(r.items[0].outcome == ItemOutcome::Permanent);
    CHECK(r.items[0].error ==
          "mapper_parsing_exception (HTTP 400): failed to parse field [id] of type [long] in document with id '3'. "
          "Preview of field's value: 'abc'; caused by illegal_argument_exception: For input string: \"abc\"");
    CHECK(r.items[1].outcome == ItemOutcome::Permanent);
    CHECK(r.items[1].error ==
          "strict_dynamic_mapping_exception (HTTP 400): mapping set to strict, dynamic introduction of [zzz] within "
          "[_doc] is not allowed");
    CHECK(r.items[2].status == 409);
    CHECK(r.items[2].outcome == ItemOutcome::Conflict);
    CHECK(r.items[3].outcome == ItemOutcome::Success);
    CHECK(r.failed() == 2);
  }
}

TEST_CASE("es response: 429 items are retryable, unavailable shards blocked") {
  BulkResponseParser p;
  std::string body = kItem429;
  BulkResponse r;
  auto items = sent({BulkOp::Index, BulkOp::Index, BulkOp::Index});
  REQUIRE(p.parse(body, items, r, nullptr));
  CHECK(r.items[0].outcome == ItemOutcome::Retryable);
  CHECK(r.items[0].error.starts_with("es_rejected_execution_exception (HTTP 429): rejected execution"));
  CHECK(r.items[1].outcome == ItemOutcome::Success);
  CHECK(r.items[2].outcome == ItemOutcome::Blocked);
  CHECK(r.items[2].error.starts_with("unavailable_shards_exception (HTTP 503)"));
}

TEST_CASE("es response: an answer for a different number of items is refused") {
  BulkResponseParser p;
  std::string body = kSuccess;
  BulkResponse r;
  std::string err;
  auto items = sent({BulkOp::Index, BulkOp::Index, BulkOp::Index});
  CHECK_FALSE(p.parse(body, items, r, &err));
  CHECK(err == "_bulk response answers 2 items for 3 sent");
  CHECK(r.items.empty());
}

TEST_CASE("es response: unreadable bodies") {
  BulkResponseParser p;
  BulkResponse r;
  std::string err;
  auto items = sent({BulkOp::Index});
  for (std::string body : {std::string("<html>bad gateway</html>"), std::string(R"({"errors":false,"items":[{"index":{"status":)"),
                           std::string(R"({"errors":false})"), std::string("[]"), std::string("")}) {
    CAPTURE(body);
    CHECK_FALSE(p.parse(body, items, r, &err));
    CHECK_FALSE(err.empty());
  }
  // The parser is reusable after a failure.
  std::string ok = R"({"errors":false,"items":[{"index":{"status":201}}]})";
  CHECK(p.parse(ok, items, r, &err));
}

TEST_CASE("es response: a 2xx item with an error is not trusted") {
  BulkResponseParser p;
  std::string body = R"({"errors":true,"items":[{"index":{"status":200,"error":"strange"}}]})";
  BulkResponse r;
  auto items = sent({BulkOp::Index});
  REQUIRE(p.parse(body, items, r, nullptr));
  CHECK(r.items[0].outcome == ItemOutcome::Retryable);
  CHECK(r.items[0].error == "error (HTTP 200): strange");
}

TEST_CASE("es response: whole-request errors") {
  BulkResponseParser p;
  std::string b429 = kWhole429, b400 = kWhole400, b404 = kWhole404, html = "<html><body>502 Bad Gateway</body></html>\n";
  EsError e = p.parse_error(429, b429);
  CHECK(e.type == "rejected_execution_exception");
  CHECK(e.reason.starts_with("rejected execution of coordinating operation"));
  CHECK(classify_request(429, e.type) == RequestOutcome::Retryable);

  e = p.parse_error(400, b400);
  CHECK(e.describe() == "illegal_argument_exception (HTTP 400): The bulk request must be terminated by a newline [\\n]");
  CHECK(classify_request(400, e.type) == RequestOutcome::Split);

  e = p.parse_error(404, b404);
  CHECK(e.type == "index_not_found_exception");
  CHECK(classify_request(404, e.type) == RequestOutcome::Permanent);

  e = p.parse_error(502, html);
  CHECK(e.type.empty());
  CHECK(e.reason == "<html><body>502 Bad Gateway</body></html>");
  CHECK(e.describe() == "error (HTTP 502): <html><body>502 Bad Gateway</body></html>");
  CHECK(classify_request(502, e.type) == RequestOutcome::Retryable);

  std::string empty;
  CHECK(p.parse_error(503, empty).describe() == "error (HTTP 503): (empty body)");
}

TEST_CASE("es classification tables") {
  CHECK(classify_item(201, "", BulkOp::Index) == ItemOutcome::Success);
  CHECK(classify_item(200, "", BulkOp::Update) == ItemOutcome::Success);
  CHECK(classify_item(409, "version_conflict_engine_exception", BulkOp::Index) == ItemOutcome::Conflict);
  CHECK(classify_item(409, "version_conflict_engine_exception", BulkOp::Create) == ItemOutcome::Conflict);
  CHECK(classify_item(409, "version_conflict_engine_exception", BulkOp::Update) == ItemOutcome::Retryable);
  CHECK(classify_item(429, "es_rejected_execution_exception", BulkOp::Index) == ItemOutcome::Retryable);
  // The cluster refuses writes whatever the document: never a dead letter.
  CHECK(classify_item(429, "cluster_block_exception", BulkOp::Index) == ItemOutcome::Blocked);  // flood stage (7.x+)
  CHECK(classify_item(403, "cluster_block_exception", BulkOp::Index) == ItemOutcome::Blocked);  // write block, ES 6 flood stage
  CHECK(classify_item(400, "index_closed_exception", BulkOp::Index) == ItemOutcome::Blocked);  // POST /<index>/_close
  CHECK(classify_item(503, "unavailable_shards_exception", BulkOp::Index) == ItemOutcome::Blocked);
  CHECK(classify_item(503, "no_shard_available_action_exception", BulkOp::Index) == ItemOutcome::Blocked);
  CHECK(classify_item(500, "", BulkOp::Index) == ItemOutcome::Retryable);
  CHECK(classify_item(429, "circuit_breaking_exception", BulkOp::Index) == ItemOutcome::Retryable);
  CHECK(classify_item(400, "mapper_parsing_exception", BulkOp::Index) == ItemOutcome::Permanent);
  CHECK(classify_item(400, "illegal_argument_exception", BulkOp::Index) == ItemOutcome::Permanent);
  CHECK(classify_item(404, "index_not_found_exception", BulkOp::Index) == ItemOutcome::Permanent);
  CHECK(classify_item(403, "security_exception", BulkOp::Index) == ItemOutcome::Permanent);

  CHECK(classify_request(200, "") == RequestOutcome::Answered);
  for (int s : {408, 429, 500, 502, 503, 504, 401}) CHECK(classify_request(s, "") == RequestOutcome::Retryable);
  CHECK(classify_request(413, "") == RequestOutcome::Split);
  CHECK(classify_request(400, "") == RequestOutcome::Split);
  for (int s : {403, 404, 405, 501}) CHECK(classify_request(s, "") == RequestOutcome::Permanent);
}
