#include "runtime/sinks/elasticsearch/index_versions.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <stdexcept>

#include <fmt/format.h>

#include "runtime/sinks/elasticsearch/es_http.h"
#include "runtime/sinks/elasticsearch/index_admin.h"

namespace pipec::es {

namespace {

bool digits(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string new_version_name(std::string_view alias, int64_t now_millis, const std::vector<std::string>& existing) {
  std::time_t seconds = static_cast<std::time_t>(now_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  std::string base = fmt::format("{}-{}", alias, stamp);
  auto taken = [&](const std::string& name) { return std::find(existing.begin(), existing.end(), name) != existing.end(); };
  if (!taken(base)) return base;
  for (int n = 1; n <= 99; ++n) {
    std::string name = fmt::format("{}-{:02}", base, n);
    if (!taken(name)) return name;
  }
  throw std::runtime_error(fmt::format("no free version name for alias '{}': {} to {}-99 all exist", alias, base, base));
}

bool is_version_of(std::string_view alias, std::string_view index) {
  if (index.size() <= alias.size() + 1 || index.substr(0, alias.size()) != alias || index[alias.size()] != '-')
    return false;
  std::string_view rest = index.substr(alias.size() + 1);  // yyyyMMdd-HHmmss[-NN]
  if (rest.size() != 15 && rest.size() != 18) return false;
  if (!digits(rest.substr(0, 8), 8) || rest[8] != '-' || !digits(rest.substr(9, 6), 6)) return false;
  return rest.size() == 15 || (rest[15] == '-' && digits(rest.substr(16), 2));
}

std::vector<std::string> versions_of(std::string_view alias, std::vector<std::string> names) {
  names.erase(std::remove_if(names.begin(), names.end(), [&](const std::string& n) { return !is_version_of(alias, n); }),
              names.end());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> versions_to_delete(const std::vector<std::string>& versions, std::string_view live, int keep) {
  std::vector<std::string> older;
  for (const std::string& v : versions)
    if (v < live) older.push_back(v);
  // live itself is one of the `keep` newest
  size_t keep_older = keep > 1 ? static_cast<size_t>(keep - 1) : 0;
  if (older.size() <= keep_older) return {};
  older.resize(older.size() - keep_older);
  return older;
}

std::string previous_version(const std::vector<std::string>& versions, std::string_view live) {
  std::string best;
  for (const std::string& v : versions)
    if (v < live && v > best) best = v;
  return best;
}

std::vector<IndexVersion> list_versions(IndexAdmin& admin, std::string_view alias, std::vector<std::string>* live_indices) {
  std::vector<std::string> live = admin.indices_for_alias(alias);
  HttpResponse r =
      admin.call("GET", "/_cat/indices/" + url_encode(alias) + "-*?format=json&h=index,docs.count&expand_wildcards=open");
  simdjson::dom::parser parser;
  simdjson::dom::array rows;
  if (parser.parse(r.body).get(rows))
    throw EsAdminError("GET /_cat/indices: the answer is not a JSON array", static_cast<int>(r.status), "",
                       r.body.substr(0, 200));
  std::vector<IndexVersion> out;
  for (auto row : rows) {
    std::string_view name, docs;
    if (row["index"].get(name) || !is_version_of(alias, name)) continue;
    IndexVersion v;
    v.index = std::string(name);
    if (!row["docs.count"].get(docs)) std::from_chars(docs.data(), docs.data() + docs.size(), v.documents);
    v.live = std::find(live.begin(), live.end(), v.index) != live.end();
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const IndexVersion& a, const IndexVersion& b) { return a.index < b.index; });
  if (live_indices) *live_indices = std::move(live);
  return out;
}

}  // namespace pipec::es
