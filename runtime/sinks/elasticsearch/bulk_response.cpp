#include "runtime/sinks/elasticsearch/bulk_response.h"

#include <simdjson.h>

#include <algorithm>

#include <fmt/format.h>

namespace pipec::es {

namespace od = simdjson::ondemand;

const char* item_outcome_name(ItemOutcome o) {
  switch (o) {
    case ItemOutcome::Success: return "success";
    case ItemOutcome::Conflict: return "conflict";
    case ItemOutcome::Retryable: return "retryable";
    case ItemOutcome::Blocked: return "blocked";
    case ItemOutcome::Permanent: return "permanent";
  }
  return "?";
}

std::string EsError::describe() const {
  std::string out;
  out.append(type.empty() ? "error" : type);
  if (status) fmt::format_to(std::back_inserter(out), " (HTTP {})", status);
  if (!reason.empty()) {
    out.append(": ");
    out.append(reason);
  }
  if (!caused_by.empty()) {
    out.append("; caused by ");
    out.append(caused_by);
  }
  return out;
}

bool refuses_writes(std::string_view type) {
  return type == "cluster_block_exception" || type == "index_closed_exception" || type == "unavailable_shards_exception" ||
         type == "no_shard_available_action_exception";
}

namespace {
// Blocked types are retryable too; classify_item tells them apart first.
bool is_retryable_type(std::string_view type) {
  return refuses_writes(type) || type == "es_rejected_execution_exception" ||
         type == "rejected_execution_exception" || type == "node_not_connected_exception" ||
         type == "process_cluster_event_timeout_exception" || type == "circuit_breaking_exception";
}
}  // namespace

ItemOutcome classify_item(int status, std::string_view error_type, BulkOp op) {
  if (status >= 200 && status < 300) return ItemOutcome::Success;
  if (status == 409) {
    // index/create with a deterministic id (and external versions): the
    // document, or a newer version of it, is already there.
    if (op == BulkOp::Index || op == BulkOp::Create || op == BulkOp::Delete) return ItemOutcome::Conflict;
    return ItemOutcome::Retryable;  // update: a concurrent change; try again
  }
  if (refuses_writes(error_type)) return ItemOutcome::Blocked;
  if (is_retryable_type(error_type)) return ItemOutcome::Retryable;
  if (status == 429 || status == 408 || status >= 500 || status == 0) return ItemOutcome::Retryable;
  return ItemOutcome::Permanent;
}

RequestOutcome classify_request(int s, std::string_view error_type) {
  if (s >= 200 && s < 300) return RequestOutcome::Answered;
  if (s == 413 || s == 400) return RequestOutcome::Split;
  if (is_retryable_type(error_type)) return RequestOutcome::Retryable;
  if (s == 401 || s == 408 || s == 429) return RequestOutcome::Retryable;
  if (s >= 500 && s != 501 && s != 505) return RequestOutcome::Retryable;
  return RequestOutcome::Permanent;
}

size_t BulkResponse::failed() const {
  return std::count_if(items.begin(), items.end(), [](const ItemResult& r) {
    return r.outcome == ItemOutcome::Retryable || r.outcome == ItemOutcome::Permanent;
  });
}

struct BulkResponseParser::Impl {
  od::parser parser;
};

BulkResponseParser::BulkResponseParser() : impl_(std::make_unique<Impl>()) {}
BulkResponseParser::~BulkResponseParser() = default;

namespace {

// Reads {"type":..,"reason":..,"caused_by":{..}} into e (the innermost cause
// goes to e.caused_by). Unknown fields are skipped.
simdjson::error_code read_error_object(od::object obj, EsError& e, int depth) {
  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    if (key == "type") {
      std::string_view v;
      if (field.value().get_string().get(v) == simdjson::SUCCESS) e.type.assign(v);
    } else if (key == "reason") {
      std::string_view v;
      if (field.value().get_string().get(v) == simdjson::SUCCESS) e.reason.assign(v);
    } else if (key == "caused_by" && depth < 4) {
      od::object cause;
      if (field.value().get_object().get(cause) == simdjson::SUCCESS) {
        EsError inner;
        if (auto err = read_error_object(cause, inner, depth + 1)) return err;
        if (!inner.caused_by.empty()) e.caused_by = std::move(inner.caused_by);
        else if (!inner.type.empty() || !inner.reason.empty()) e.caused_by = inner.type + ": " + inner.reason;
      }
    }
  }
  return simdjson::SUCCESS;
}

// "error" is an object, or a plain string in some proxies and old versions.
simdjson::error_code read_error_value(od::value v, EsError& e) {
  od::json_type t;
  if (auto err = v.type().get(t)) return err;
  if (t == od::json_type::object) {
    od::object obj;
    if (auto err = v.get_object().get(obj)) return err;
    return read_error_object(obj, e, 0);
  }
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto err = v.get_string().get(s)) return err;
    e.reason.assign(s);
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_item(od::value element, const BulkItem* sent, ItemResult& r) {
  od::object wrapper;
  if (auto err = element.get_object().get(wrapper)) return err;
  for (auto op_field : wrapper) {  // {"index":{...}}: one field
    od::object body;
    if (auto err = op_field.value().get_object().get(body)) return err;
    EsError e;
    bool has_error = false;
    int64_t status = 0;
    for (auto field : body) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return err;
      if (key == "status") {
        if (auto err = field.value().get_int64().get(status)) return err;
      } else if (key == "error") {
        od::value v;
        if (auto err = field.value().get(v)) return err;
        if (auto err = read_error_value(v, e)) return err;
        has_error = true;
      }
    }
    r.status = static_cast<int>(status);
    e.status = r.status;
    BulkOp op = sent ? sent->op : BulkOp::Index;
    r.outcome = classify_item(r.status, e.type, op);
    if (has_error && r.outcome == ItemOutcome::Success) r.outcome = ItemOutcome::Retryable;  // 2xx with an error: never trust it
    if (r.outcome != ItemOutcome::Success && r.outcome != ItemOutcome::Conflict) r.error = e.describe();
    else r.error.clear();
    return simdjson::SUCCESS;
  }
  return simdjson::INCORRECT_TYPE;  // {} item
}

}  // namespace

bool BulkResponseParser::parse(std::string& body, std::span<const BulkItem> sent, BulkResponse& out,
                               std::string* error) {
  out.errors = false;
  out.items.clear();
  out.items.reserve(sent.size());
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  auto fail = [&](std::string msg) {
    if (error) *error = std::move(msg);
    out.items.clear();
    return false;
  };
  od::document doc;
  auto err = impl_->parser.iterate(body.data(), body.size(), body.capacity()).get(doc);
  if (err) return fail(fmt::format("unreadable _bulk response: {}", simdjson::error_message(err)));
  od::object root;
  if ((err = doc.get_object().get(root))) return fail(fmt::format("_bulk response is not an object: {}", simdjson::error_message(err)));
  bool saw_items = false;
  for (auto field : root) {
    std::string_view key;
    if ((err = field.unescaped_key().get(key))) break;
    if (key == "errors") {
      bool b = false;
      if ((err = field.value().get_bool().get(b))) break;
      out.errors = b;
    } else if (key == "items") {
      od::array items;
      if ((err = field.value().get_array().get(items))) break;
      saw_items = true;
      size_t i = 0;
      for (auto element : items) {
        od::value v;
        if ((err = element.get(v))) break;
        ItemResult r;
        if ((err = read_item(v, i < sent.size() ? &sent[i] : nullptr, r))) break;
        out.items.push_back(std::move(r));
        ++i;
      }
      if (err) break;
    }
  }
  if (err) return fail(fmt::format("unreadable _bulk response: {}", simdjson::error_message(err)));
  if (!saw_items) {
    // filter_path drops "items" when a request had none.
    if (sent.empty()) return true;
    return fail("_bulk response has no \"items\"");
  }
  if (out.items.size() != sent.size())
    return fail(fmt::format("_bulk response answers {} items for {} sent", out.items.size(), sent.size()));
  return true;
}

EsError BulkResponseParser::parse_error(int http_status, std::string& body) {
  EsError e;
  e.status = http_status;
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  bool ok = false;
  if (!impl_->parser.iterate(body.data(), body.size(), body.capacity()).get(doc)) {
    od::object root;
    if (!doc.get_object().get(root)) {
      ok = true;
      for (auto field : root) {
        std::string_view key;
        if (field.unescaped_key().get(key)) { ok = false; break; }
        if (key == "error") {
          od::value v;
          if (field.value().get(v) || read_error_value(v, e)) { ok = false; break; }
        }
      }
    }
  }
  if (!ok || (e.type.empty() && e.reason.empty())) {
    e.type.clear();
    e.caused_by.clear();
    std::string_view excerpt(body);
    while (!excerpt.empty() && (excerpt.back() == '\n' || excerpt.back() == '\r' || excerpt.back() == ' ')) excerpt.remove_suffix(1);
    if (excerpt.size() > 200) excerpt = excerpt.substr(0, 200);
    e.reason = excerpt.empty() ? std::string("(empty body)") : std::string(excerpt);
  }
  return e;
}

}  // namespace pipec::es
