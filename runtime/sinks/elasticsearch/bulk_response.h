// Reading what Elasticsearch/OpenSearch answered to a _bulk request, and what
// each answer means for the documents:
//
//   success     2xx; also 409 (version conflict / document exists) on an index
//               or create action: with deterministic ids (and external
//               versions) the document, or a newer version of it, is there.
//   blocked     the cluster refuses writes for now, whatever the document:
//               cluster_block_exception (a read-only index, the disk flood
//               stage, no elected master), a closed index (closed to change
//               its analysis settings, or to restore it), shards not
//               available. Retried
//               under the circuit breaker without using up an attempt: the
//               document is not at fault, so it never becomes a dead letter.
//   retryable   429, 5xx, es_rejected_execution_exception; for the whole
//               request also 401 (credentials may be
//               rotated; the breaker pauses meanwhile), 408, 429, 5xx but
//               501/505, transport errors and timeouts, and a 2xx answer
//               that cannot be read.
//   permanent   every other 4xx (mapper_parsing_exception,
//               strict_dynamic_mapping_exception, illegal_argument_exception,
//               index_not_found_exception, ...): dead letter with the
//               error type and reason. (The bulk client holds the documents
//               of a missing index the sink itself creates instead, and the
//               sink makes it again.)
//   split       413 (too large) or 400 (malformed body) for a whole request of
//               several documents: send the halves, so one bad document is
//               isolated instead of failing its neighbours.
//
// Per-item answers are parsed with simdjson On-Demand; responses may be
// filtered (filter_path=errors,items.*.status,items.*.error) or complete.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sinks/elasticsearch/bulk_request.h"

namespace pipec::es {

enum class ItemOutcome : uint8_t { Success, Conflict, Retryable, Blocked, Permanent };
const char* item_outcome_name(ItemOutcome o);
// cluster_block_exception, index_closed_exception and the shard-availability
// errors (see "blocked").
bool refuses_writes(std::string_view error_type);

// An error object {"type":..., "reason":..., "caused_by":{...}} with its HTTP status.
struct EsError {
  int status = 0;
  std::string type;
  std::string reason;
  std::string caused_by;  // "type: reason" of the innermost cause, if any
  // "mapper_parsing_exception (HTTP 400): failed to parse ...; caused by illegal_argument_exception: ..."
  std::string describe() const;
};

ItemOutcome classify_item(int status, std::string_view error_type, BulkOp op);

enum class RequestOutcome : uint8_t {
  Answered,   // 2xx: read the items
  Retryable,  // send every item again after a backoff
  Split,      // 400/413: send halves; a single document is dead-lettered
  Permanent,  // dead-letter every item
};
RequestOutcome classify_request(int http_status, std::string_view error_type);

struct ItemResult {
  int status = 0;
  ItemOutcome outcome = ItemOutcome::Success;
  std::string error;  // EsError::describe() for failures; empty for success
};

struct BulkResponse {
  bool errors = false;  // the response's "errors" flag
  std::vector<ItemResult> items;
  size_t failed() const;
};

// Reads _bulk response bodies. One per thread (it owns a simdjson parser).
class BulkResponseParser {
 public:
  BulkResponseParser();
  ~BulkResponseParser();
  BulkResponseParser(const BulkResponseParser&) = delete;
  BulkResponseParser& operator=(const BulkResponseParser&) = delete;

  // Parses the body of a 2xx answer to a request whose items were `sent`
  // (for their ops and count). `body` gets SIMDJSON padding reserved (its
  // contents are not changed). Returns false, with *error set, when the body
  // is not a _bulk answer or answers a different number of items.
  bool parse(std::string& body, std::span<const BulkItem> sent, BulkResponse& out, std::string* error);

  // Reads the error of a non-2xx answer: {"error":{"type","reason",...},"status":N}
  // or {"error":"text"}; other bodies become a short excerpt as the reason.
  EsError parse_error(int http_status, std::string& body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipec::es
