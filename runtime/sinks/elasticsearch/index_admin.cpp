#include "runtime/sinks/elasticsearch/index_admin.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "runtime/common/json_writer.h"
#include "runtime/sinks/elasticsearch/bulk_response.h"

namespace pipec::es {

namespace {

std::string json_quote(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

simdjson::dom::element parse_json(simdjson::dom::parser& parser, const std::string& body, std::string_view what) {
  simdjson::dom::element root;
  if (auto err = parser.parse(body).get(root))
    throw EsAdminError(fmt::format("{}: unreadable answer ({})", what, simdjson::error_message(err)), 200, "", body.substr(0, 200));
  return root;
}

std::string settings_json(const IndexSettings& s) {
  std::string out = fmt::format(R"({{"number_of_shards":{},"number_of_replicas":{})", s.shards, s.replicas);
  if (!s.refresh_interval.empty()) out += ",\"refresh_interval\":" + json_quote(s.refresh_interval);
  out += "}";
  return out;
}

}  // namespace

std::string strict_mappings(std::string_view mappings_json) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(mappings_json.data(), mappings_json.size()).get(obj))
    throw std::invalid_argument("index mapping: not a JSON object");
  for (auto field : obj)
    if (field.key == "dynamic") return std::string(mappings_json);
  std::string out = "{\"dynamic\":\"strict\"";
  if (obj.size() > 0) out += ",";
  size_t open = mappings_json.find('{');
  out.append(mappings_json.substr(open + 1));
  return out;
}

IndexAdmin::IndexAdmin(const EsConfig& config) : http_(config) {}

HttpResponse IndexAdmin::call(std::string_view method, std::string_view path, std::string_view body,
                              std::initializer_list<int> also_ok) {
  HttpResponse r = http_.request(method, path, body);
  std::string what = fmt::format("{} {}", method, path);
  if (r.status == 0) throw EsAdminError(fmt::format("{}: {}", what, r.transport_error), 0, "", r.transport_error);
  bool ok = (r.status >= 200 && r.status < 300) ||
            std::find(also_ok.begin(), also_ok.end(), static_cast<int>(r.status)) != also_ok.end();
  if (!ok) {
    BulkResponseParser parser;
    EsError e = parser.parse_error(static_cast<int>(r.status), r.body);
    throw EsAdminError(fmt::format("{}: {}", what, e.describe()), e.status, e.type, e.reason);
  }
  return r;
}

bool IndexAdmin::index_exists(std::string_view index) {
  return call("HEAD", "/" + url_encode(index), {}, {404}).status != 404;
}

bool IndexAdmin::create_index(std::string_view index, const IndexSettings& settings, std::string_view mappings_json,
                              bool ignore_existing) {
  std::string body = fmt::format(R"({{"settings":{},"mappings":{}}})", settings_json(settings), strict_mappings(mappings_json));
  try {
    call("PUT", "/" + url_encode(index), body);
  } catch (const EsAdminError& e) {
    if (ignore_existing && e.type == "resource_already_exists_exception") return false;
    throw;
  }
  return true;
}

namespace {
std::string_view type_of(simdjson::dom::object field) {
  std::string_view t;
  if (!field["type"].get(t)) return t;
  simdjson::dom::object props;
  return field["properties"].get(props) ? "unknown" : "object";
}

// `existing`: the index's properties at this level (none when it has none).
void compare_properties(simdjson::dom::object wanted, std::optional<simdjson::dom::object> existing, bool strict,
                        const std::string& prefix, std::vector<std::string>& out) {
  for (auto [name, w] : wanted) {
    simdjson::dom::object wf;
    if (w.get(wf)) continue;
    std::string path = prefix + std::string(name);
    simdjson::dom::object ef;
    if (!existing || (*existing)[name].get(ef)) {
      out.push_back(fmt::format("'{}' is not in the index's mapping{}", path,
                                strict ? " (dynamic: strict: documents with it are rejected)"
                                       : " (dynamic mapping picks its type from the first document)"));
      continue;
    }
    std::string_view wt = type_of(wf), et = type_of(ef);
    if (wt != et) {
      out.push_back(fmt::format("'{}' is {} in the index, {} in the pipeline", path, et, wt));
      continue;
    }
    simdjson::dom::object wp, ep;
    if (!wf["properties"].get(wp) && !ef["properties"].get(ep)) {
      std::string_view dyn;
      bool inner_strict = ef["dynamic"].get(dyn) ? strict : dyn == "strict";
      compare_properties(wp, ep, inner_strict, path + ".", out);
    }
  }
}
}  // namespace

std::vector<std::string> mapping_differences(std::string_view wanted, std::string_view existing) {
  simdjson::dom::parser wp, ep;
  simdjson::dom::object w, e;
  if (wp.parse(wanted.data(), wanted.size()).get(w) || ep.parse(existing.data(), existing.size()).get(e))
    throw std::invalid_argument("index mapping: not a JSON object");
  simdjson::dom::object wprops, eprops;
  std::vector<std::string> out;
  if (w["properties"].get(wprops)) return out;
  std::string_view dyn;
  bool strict = !e["dynamic"].get(dyn) && dyn == "strict";
  std::optional<simdjson::dom::object> existing_props;  // none: the index maps nothing yet
  if (!e["properties"].get(eprops)) existing_props = eprops;
  compare_properties(wprops, existing_props, strict, "", out);
  return out;
}

std::vector<std::string> IndexAdmin::mapping_drift(std::string_view index, std::string_view mappings_json) {
  HttpResponse r = call("GET", "/" + url_encode(index) + "/_mapping");
  simdjson::dom::parser parser;
  simdjson::dom::object indices;
  if (parse_json(parser, r.body, "GET _mapping").get(indices)) return {};
  std::vector<std::string> out;
  for (auto [name, entry] : indices) {
    simdjson::dom::object mappings;
    if (entry["mappings"].get(mappings)) continue;
    for (std::string& d : mapping_differences(mappings_json, simdjson::minify(mappings)))
      out.push_back(indices.size() > 1 ? fmt::format("{}: {}", name, d) : std::move(d));
  }
  return out;
}

void IndexAdmin::delete_index(std::string_view index, bool ignore_missing) {
  if (ignore_missing) call("DELETE", "/" + url_encode(index), {}, {404});
  else call("DELETE", "/" + url_encode(index));
}

void IndexAdmin::put_index_template(std::string_view name, const std::vector<std::string>& patterns,
                                    const IndexSettings& settings, std::string_view mappings_json, int priority) {
  std::string list;
  for (const std::string& p : patterns) list += (list.empty() ? "" : ",") + json_quote(p);
  std::string body = fmt::format(R"({{"index_patterns":[{}],"priority":{},"template":{{"settings":{},"mappings":{}}}}})",
                                 list, priority, settings_json(settings), strict_mappings(mappings_json));
  call("PUT", "/_index_template/" + url_encode(name), body);
}

void IndexAdmin::delete_index_template(std::string_view name, bool ignore_missing) {
  if (ignore_missing) call("DELETE", "/_index_template/" + url_encode(name), {}, {404});
  else call("DELETE", "/_index_template/" + url_encode(name));
}

std::vector<std::string> IndexAdmin::indices_for_alias(std::string_view alias) { return alias_targets(alias).indices; }

IndexAdmin::AliasTargets IndexAdmin::alias_targets(std::string_view alias) {
  HttpResponse r = call("GET", "/_alias/" + url_encode(alias), {}, {404});
  AliasTargets out;
  if (r.status == 404) return out;  // {"error":"alias [x] missing","status":404}
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parse_json(parser, r.body, "GET /_alias").get(obj))
    throw EsAdminError("GET /_alias: answer is not an object", static_cast<int>(r.status), "", r.body.substr(0, 200));
  for (auto [index, entry] : obj) {
    out.indices.emplace_back(index);
    bool write = false;
    if (!entry["aliases"][alias]["is_write_index"].get(write) && write) out.write_index = std::string(index);
  }
  std::sort(out.indices.begin(), out.indices.end());
  return out;
}

void IndexAdmin::add_alias(std::string_view index, std::string_view alias) {
  call("POST", "/_aliases",
       fmt::format(R"({{"actions":[{{"add":{{"index":{},"alias":{}}}}}]}})", json_quote(index), json_quote(alias)));
}

void IndexAdmin::remove_alias(std::string_view index, std::string_view alias) {
  call("POST", "/_aliases",
       fmt::format(R"({{"actions":[{{"remove":{{"index":{},"alias":{}}}}}]}})", json_quote(index), json_quote(alias)));
}

std::vector<std::string> IndexAdmin::swap_alias(std::string_view alias, std::string_view new_index) {
  std::vector<std::string> current = indices_for_alias(alias);
  std::vector<std::string> removed;
  std::string actions;
  for (const std::string& old : current) {
    if (old == new_index) continue;
    if (!actions.empty()) actions += ",";
    actions += fmt::format(R"({{"remove":{{"index":{},"alias":{}}}}})", json_quote(old), json_quote(alias));
    removed.push_back(old);
  }
  bool already = std::find(current.begin(), current.end(), new_index) != current.end();
  if (!already) {
    if (!actions.empty()) actions += ",";
    actions += fmt::format(R"({{"add":{{"index":{},"alias":{}}}}})", json_quote(new_index), json_quote(alias));
  }
  if (actions.empty()) return removed;
  call("POST", "/_aliases", "{\"actions\":[" + actions + "]}");
  return removed;
}

std::vector<std::pair<std::string, std::string>> IndexAdmin::get_settings(std::string_view index) {
  HttpResponse r = call("GET", "/" + url_encode(index) + "/_settings?flat_settings=true");
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parse_json(parser, r.body, "GET _settings").get(root) || root.size() != 1)
    throw EsAdminError(fmt::format("GET /{}/_settings: expected exactly one index", index), static_cast<int>(r.status), "",
                       r.body.substr(0, 200));
  std::vector<std::pair<std::string, std::string>> out;
  for (auto idx : root) {
    simdjson::dom::object settings;
    if (idx.value["settings"].get(settings)) continue;
    for (auto s : settings) {
      std::string_view v;
      if (!s.value.get(v)) out.emplace_back(std::string(s.key), std::string(v));
    }
  }
  return out;
}

SavedLoadSettings IndexAdmin::begin_bulk_load(std::string_view index) {
  SavedLoadSettings saved;
  for (auto& [k, v] : get_settings(index)) {
    if (k == "index.refresh_interval") saved.refresh_interval = v;
    if (k == "index.number_of_replicas") saved.number_of_replicas = v;
  }
  update_settings(index, R"({"index":{"refresh_interval":"-1","number_of_replicas":0}})");
  return saved;
}

void IndexAdmin::end_bulk_load(std::string_view index, const SavedLoadSettings& saved) {
  auto value = [](const std::string& v) { return v.empty() ? std::string("null") : json_quote(v); };
  update_settings(index, fmt::format(R"({{"index":{{"refresh_interval":{},"number_of_replicas":{}}}}})",
                                     value(saved.refresh_interval), value(saved.number_of_replicas)));
}

void IndexAdmin::update_settings(std::string_view index, std::string_view settings_json) {
  call("PUT", "/" + url_encode(index) + "/_settings", settings_json);
}

void IndexAdmin::refresh(std::string_view index) { call("POST", "/" + url_encode(index) + "/_refresh"); }

void IndexAdmin::force_merge(std::string_view index, int max_num_segments) {
  HttpResponse r = call("POST", fmt::format("/{}/_forcemerge?max_num_segments={}", url_encode(index), max_num_segments));
  simdjson::dom::parser parser;
  int64_t failed = 0;
  if (!parse_json(parser, r.body, "_forcemerge")["_shards"]["failed"].get(failed) && failed > 0)
    throw EsAdminError(fmt::format("POST /{}/_forcemerge: {} shards failed", index, failed), static_cast<int>(r.status),
                       "", r.body.substr(0, 200));
}

uint64_t IndexAdmin::count(std::string_view index, std::string_view query_json) {
  HttpResponse r = query_json.empty() ? call("GET", "/" + url_encode(index) + "/_count")
                                      : call("POST", "/" + url_encode(index) + "/_count", query_json);
  simdjson::dom::parser parser;
  uint64_t n = 0;
  if (parse_json(parser, r.body, "_count")["count"].get(n))
    throw EsAdminError(fmt::format("_count of {}: no count in the answer", index), static_cast<int>(r.status), "",
                       r.body.substr(0, 200));
  return n;
}

std::string IndexAdmin::cluster_health() {
  HttpResponse r = call("GET", "/_cluster/health");
  simdjson::dom::parser parser;
  std::string_view status;
  if (parse_json(parser, r.body, "_cluster/health")["status"].get(status))
    throw EsAdminError("_cluster/health: no status in the answer", static_cast<int>(r.status), "", r.body.substr(0, 200));
  return std::string(status);
}

std::string template_pattern(std::string_view index) {
  std::string out;
  size_t i = 0;
  while (i < index.size()) {
    if (index[i] == '{') {
      size_t close = index.find('}', i);
      if (close == std::string_view::npos) break;
      if (out.empty() || out.back() != '*') out.push_back('*');
      i = close + 1;
    } else {
      out.push_back(index[i++]);
    }
  }
  if (i < index.size()) out.append(index.substr(i));
  return out;
}

std::string exact_template_name(std::string_view index) { return "pipec-index." + std::string(index); }

PreparedIndex prepare_index(IndexAdmin& admin, const EsConfig& config, std::string_view mappings_json) {
  PreparedIndex out;
  out.did = "none";
  if (config.index_create == "none" || config.index.empty()) return out;
  IndexSettings settings;
  settings.shards = config.index_shards;
  settings.replicas = config.index_replicas;
  settings.refresh_interval = config.index_refresh_interval;
  std::string pattern = template_pattern(config.index);
  if (config.index_create == "index" && pattern == config.index) {
    // Written through an alias (blue/green, rollover): its indices exist and
    // keep their mappings; OpenSearch sends the documents to its write index.
    IndexAdmin::AliasTargets alias = admin.alias_targets(config.index);
    if (!alias.indices.empty()) {
      if (alias.indices.size() > 1 && alias.write_index.empty())
        throw EsAdminError(fmt::format("alias '{}' points to {} indices and none of them is its write index: every "
                                       "bulk write would be refused (set is_write_index on one)",
                                       config.index, alias.indices.size()),
                           0, "", "");
      out.drift = admin.mapping_drift(alias.write_index.empty() ? alias.indices[0] : alias.write_index, mappings_json);
      out.did = "alias";
      return out;
    }
    // Above the usual priorities of broad templates ("logs-*"): this one name
    // is the pipeline's. A user without the right to manage templates still
    // gets the index.
    try {
      admin.put_index_template(exact_template_name(config.index), {config.index}, settings, mappings_json, 500);
    } catch (const EsAdminError& e) {
      out.template_error = e.what();
    }
    if (!admin.create_index(config.index, settings, mappings_json, /*ignore_existing=*/true))
      out.drift = admin.mapping_drift(config.index, mappings_json);
    out.did = "index";
    return out;
  }
  // The template's name: the pattern without wildcards and other characters names may not hold.
  std::string name;
  for (char c : pattern)
    name.push_back((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_');
  while (!name.empty() && (name.back() == '_' || name.back() == '-' || name.back() == '.')) name.pop_back();
  admin.put_index_template("pipec-" + (name.empty() ? std::string("index") : name), {pattern}, settings, mappings_json);
  out.did = "template";
  return out;
}

}  // namespace pipec::es
