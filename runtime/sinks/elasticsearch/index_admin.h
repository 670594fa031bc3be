// Index management for the Elasticsearch/OpenSearch sink: indices and index
// templates with an explicit mapping, aliases (atomic blue/green swaps),
// bulk-load settings, refresh, force-merge and counts. Synchronous; every
// failure throws EsAdminError carrying the HTTP status and Elasticsearch's
// error type and reason. Not thread-safe: one IndexAdmin per thread.
//
// Blue/green load, the intended use:
//
//   IndexAdmin admin(config);
//   admin.create_index("orders-v2", {.shards = 3, .replicas = 1}, mapping);
//   auto saved = admin.begin_bulk_load("orders-v2");   // refresh -1, replicas 0
//   ... BulkClient writes into orders-v2, flush() ...
//   admin.end_bulk_load("orders-v2", saved);           // settings restored
//   admin.refresh("orders-v2");
//   admin.force_merge("orders-v2", 1);
//   if (admin.count("orders-v2") == expected) admin.swap_alias("orders", "orders-v2");
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sinks/elasticsearch/es_config.h"
#include "runtime/sinks/elasticsearch/es_http.h"

namespace pipec::es {

class EsAdminError : public std::runtime_error {
 public:
  EsAdminError(std::string message, int status, std::string type, std::string reason)
      : std::runtime_error(std::move(message)), status(status), type(std::move(type)), reason(std::move(reason)) {}
  int status;          // HTTP status; 0 when no answer came (transport error)
  std::string type;    // e.g. "resource_already_exists_exception"; empty if none
  std::string reason;  // Elasticsearch's reason, or the transport error
};

struct IndexSettings {
  int shards = 1;
  int replicas = 1;
  std::string refresh_interval;  // e.g. "1s", "-1"; empty: the server's default
};

// Settings changed for a bulk load, as they were before it (empty: not set
// on the index, i.e. the server default).
struct SavedLoadSettings {
  std::string refresh_interval;
  std::string number_of_replicas;
};

class IndexAdmin {
 public:
  explicit IndexAdmin(const EsConfig& config);

  // ---- indices and templates. `mappings_json` is the "mappings" object,
  // e.g. {"properties":{"id":{"type":"long"}}}; "dynamic":"strict" is added
  // when it names no "dynamic". Throws std::invalid_argument for JSON that is
  // not an object.
  bool index_exists(std::string_view index);
  // ignore_existing: an index that already exists is not an error (its
  // mapping is left as it is). Returns false when it existed.
  bool create_index(std::string_view index, const IndexSettings& settings, std::string_view mappings_json,
                    bool ignore_existing = false);
  // How the mapping of `index` (or of every index behind an alias) differs
  // from `mappings_json` (mapping_differences); empty when it does not.
  std::vector<std::string> mapping_drift(std::string_view index, std::string_view mappings_json);
  void delete_index(std::string_view index, bool ignore_missing = true);
  // A composable index template (_index_template) for `patterns`.
  void put_index_template(std::string_view name, const std::vector<std::string>& patterns,
                          const IndexSettings& settings, std::string_view mappings_json, int priority = 100);
  void delete_index_template(std::string_view name, bool ignore_missing = true);

  // ---- aliases
  // The indices behind `alias`, sorted; empty when there is no such alias.
  std::vector<std::string> indices_for_alias(std::string_view alias);
  // The same, and the one marked is_write_index ("" when none is).
  struct AliasTargets {
    std::vector<std::string> indices;
    std::string write_index;
  };
  AliasTargets alias_targets(std::string_view alias);
  void add_alias(std::string_view index, std::string_view alias);
  void remove_alias(std::string_view index, std::string_view alias);
  // Points `alias` at `new_index` only, in ONE _aliases request (remove from
  // every current index + add), so a search through the alias sees either the
  // old set or the new one, never both or none. Returns the indices it was
  // removed from. If another writer moves the alias in between, the request
  // fails as a whole (aliases_not_found_exception) and nothing changes.
  std::vector<std::string> swap_alias(std::string_view alias, std::string_view new_index);

  // ---- loading
  // Sets refresh_interval -1 and number_of_replicas 0 on one concrete index
  // and returns what they were; end_bulk_load() puts them back.
  SavedLoadSettings begin_bulk_load(std::string_view index);
  void end_bulk_load(std::string_view index, const SavedLoadSettings& saved);
  // PUT /<index>/_settings with a JSON object such as {"index":{"refresh_interval":"1s"}}.
  void update_settings(std::string_view index, std::string_view settings_json);
  // Flat settings explicitly set on one index ("index.refresh_interval" -> "1s").
  std::vector<std::pair<std::string, std::string>> get_settings(std::string_view index);
  void refresh(std::string_view index);
  void force_merge(std::string_view index, int max_num_segments = 1);
  // _count of an index, alias or pattern; `query_json` is a {"query":...} body or empty.
  uint64_t count(std::string_view index, std::string_view query_json = {});
  // "green", "yellow" or "red".
  std::string cluster_health();

  // A raw call that throws EsAdminError unless the answer is 2xx (or a
  // status listed in `also_ok`).
  HttpResponse call(std::string_view method, std::string_view path, std::string_view body = {},
                    std::initializer_list<int> also_ok = {});

 private:
  HttpSession http_;
};

// Where an existing index's mapping (`existing`: a "mappings" object) does
// not hold the documents of `wanted` as the pipeline means them, one line
// per field, e.g. "'ts' is keyword in the index, date in the pipeline";
// "'note' is not in the index's mapping (dynamic: strict: documents with it
// are rejected)". Fields the index has and the pipeline does not are fine.
std::vector<std::string> mapping_differences(std::string_view wanted, std::string_view existing);

// What the sink's index.create option asks for at start-up, from its config:
//   "none"      nothing
//   "index"     create config.index (an existing one is left as it is; an
//               alias of that name is written through: "alias"), and
//               an index template for that one name (exact_template_name):
//               an index deleted while the pipeline runs is re-created by the
//               next bulk write with this mapping, not a dynamic one; an index
//               name with {field|format} placeholders cannot be created ahead,
//               so it gets a pattern template instead
//   "template"  an index template named after the pattern, for
//               template_pattern(config.index)
// with index.shards / index.replicas and the given mapping.
struct PreparedIndex {
  std::string did;                 // "none", "index", "alias" or "template"
  std::vector<std::string> drift;  // how an existing index's mapping differs from the given one
  std::string template_error;      // the exact-name template was refused (the index was still made)
};
PreparedIndex prepare_index(IndexAdmin& admin, const EsConfig& config, std::string_view mappings_json);

// "pipec-index.<index>": the template prepare_index installs for one index name.
std::string exact_template_name(std::string_view index);

// "orders-{ts|yyyy.MM.dd}" -> "orders-*"; a name without placeholders is kept.
std::string template_pattern(std::string_view index);

// `mappings_json` with "dynamic":"strict" added when it has no "dynamic" key.
// Throws std::invalid_argument when it is not a JSON object.
std::string strict_mappings(std::string_view mappings_json);

}  // namespace pipec::es
