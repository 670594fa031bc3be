// plaintext-secret: credentials belong in the environment (secret('VAR')),
// not in a .pipe file that lives in a repository. Flags
//   - an option whose key names a credential (is_secret_key: password,
//     api-key, token, secret, ...) given as a plain value;
//   - a value that embeds one whatever its key: a URL with user:password@,
//     a URL query parameter such as ?token=..., a JAAS config with
//     password="...";
//   - hash_pii(value, 'literal key'): anyone with the repository can reverse
//     the pseudonyms by hashing candidate values.
#include <fmt/format.h>

#include <re2/re2.h>

#include <set>

#include "compiler/bind/connector_options.h"
#include "compiler/check/check_util.h"
#include "compiler/check/lint.h"

namespace pipec {

namespace {

// Keys that name a credential but hold something else (an endpoint, a file).
bool names_a_location(const std::string& key) {
  std::string k = check::lower(key);
  for (const char* suffix : {".url", ".uri", ".endpoint", ".location", ".path", ".file", "-file", ".type",
                             ".mechanism", ".algorithm"})
    if (k.ends_with(suffix)) return true;
  return false;
}

std::string env_name(const std::string& owner, const std::string& key) {
  std::string k = key.rfind("properties.", 0) == 0 ? key.substr(11) : key;
  std::string out;
  for (char c : owner + "_" + k) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_');
  }
  return out;
}

// Where value[pos, pos+len) sits in the source, when the literal has no
// escapes (the unescaped text is a plain substring of the quoted literal).
Span inner_span(const SourceManager& sm, const OptionInfo& o, size_t pos, size_t len) {
  const Span& v = o.value_span;
  if (!v.valid || v.file >= sm.file_count()) return v;
  const std::string& text = sm.text(v.file);
  if (v.end > text.size() || v.end < v.begin + 2 || text[v.begin] != '\'') return v;
  if (std::string_view(text).substr(v.begin + 1, v.end - v.begin - 2) != o.value) return v;
  return Span::at(v.file, static_cast<uint32_t>(v.begin + 1 + pos), static_cast<uint32_t>(v.begin + 1 + pos + len));
}

struct Owner {
  std::string name;
  std::string connector;
  const OptionSet* options;
};

// Group `g` of the first match of `re` in `text`: position and length.
struct Match {
  bool found = false;
  size_t pos = 0, len = 0;
  std::string name;  // group 1 (user name / parameter name) where it has one
};
Match search(const RE2& re, const std::string& text, int group) {
  re2::StringPiece groups[4];
  Match m;
  int n = std::min(re.NumberOfCapturingGroups() + 1, 4);
  if (group >= n || !re.Match(text, 0, text.size(), RE2::UNANCHORED, groups, n)) return m;
  m.found = true;
  m.pos = static_cast<size_t>(groups[group].data() - text.data());
  m.len = groups[group].size();
  if (n > 1 && groups[1].data()) m.name = std::string(groups[1].data(), groups[1].size());
  return m;
}

void check_options(const Owner& owner, DiagnosticEngine& diags) {
  // RE2: linear time whatever the input.
  static const RE2 userinfo(R"([A-Za-z][A-Za-z0-9+.\-]*://([^/@\s:,]+):([^/@\s,]+)@)");
  static const RE2 query_secret(
      R"((?i)[?&](access_token|token|api_key|apikey|api-key|password|passwd|secret|client_secret|sig|signature)=([^&#\s]+))");
  static const RE2 jaas_password(R"~((?i)(password)\s*=\s*"([^"]+)")~");
  const SourceManager& sm = diags.sources();
  for (const OptionInfo& o : owner.options->options) {
    if (o.is_secret || o.kind == ast::OptionValue::Kind::Secret || o.kind == ast::OptionValue::Kind::Boolean) continue;
    if (o.value.empty()) continue;
    if (is_secret_key(o.key) && !names_a_location(o.key)) {
      auto& d = diags.report(DiagKind::PlaintextSecret, o.value_span, o.key);
      d.hint = fmt::format("read it from the environment: '{}' = secret('{}')", o.key, env_name(owner.name, o.key));
      continue;
    }
    if (Match m = search(userinfo, o.value, 2); m.found) {
      auto& d = diags.report(DiagKind::PlaintextSecret, inner_span(sm, o, m.pos, m.len), o.key);
      bool es = owner.connector == "elasticsearch" || owner.connector == "opensearch";
      d.hint = es ? fmt::format("remove '{}:...@' from the URL and set 'username' = '{}', 'password' = secret('{}')",
                                m.name, m.name, env_name(owner.name, "password"))
                  : "remove the credentials from the URL and pass them with secret('ENV_VAR')";
      continue;
    }
    if (Match m = search(query_secret, o.value, 2); m.found) {
      auto& d = diags.report(DiagKind::PlaintextSecret, inner_span(sm, o, m.pos, m.len), o.key);
      d.hint = fmt::format("the URL carries '{}=' in plain text: pass the whole value with secret('{}')", m.name,
                           env_name(owner.name, o.key));
      continue;
    }
    if (Match m = search(jaas_password, o.value, 2); m.found) {
      auto& d = diags.report(DiagKind::PlaintextSecret, inner_span(sm, o, m.pos, m.len), o.key);
      d.hint = fmt::format("pass the whole value with secret('{}')", env_name(owner.name, o.key));
      continue;
    }
  }
}

}  // namespace

void lint_plaintext_secret(const BoundScript& script, DiagnosticEngine& diags) {
  for (const auto& r : script.relations) check_options({r->name, r->connector, &r->options}, diags);
  for (const auto& s : script.sinks) check_options({s->name, s->connector, &s->options}, diags);
  for (const auto& p : script.pipelines) check_options({p->name, "pipeline", &p->options}, diags);

  // Keyed functions whose key is a string literal.
  std::set<std::pair<uint32_t, uint32_t>> reported;
  check::for_each_root_expression(script, [&](const BoundExpr& root, const char*) {
    visit_expr(root, [&](const BoundExpr& e) {
      if (e.kind != BoundKind::Call || !e.function || e.function->name != "hash_pii" || e.children.size() < 2) return;
      const BoundExpr& key = *e.children[1];
      if (!key.is_constant() || key.value.is_null) return;
      if (!key.span.valid || !reported.insert({key.span.file, key.span.begin}).second) return;
      auto& d = diags.report(DiagKind::PlaintextHashKey, key.span, e.function->name);
      d.hint = "read the key from the environment: hash_pii(..., secret('PII_KEY'))";
    });
  });
}

}  // namespace pipec
