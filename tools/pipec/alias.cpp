// pipec alias list ALIAS --hosts URL [AUTH]
// pipec alias rollback ALIAS --hosts URL [AUTH] [--to INDEX]
//
// The versions `pipec run --batch` loads behind an alias
// (runtime/sinks/elasticsearch/index_versions.h): `list` shows them oldest
// first with document counts and marks the live one; `rollback` points the
// alias at the version before the live one (or at --to INDEX) in one atomic
// _aliases request; the version it leaves stays on the cluster.
//
// AUTH, as the sink's options: --username U --password-env VAR, or
// --api-key-env VAR (secrets come from the environment, never the command
// line); --ca-file PEM for https. --hosts takes a comma-separated list.
//
// Exit codes: 0 done; 1 nothing to do (no such alias, no previous version);
// 2 usage errors and an unreachable cluster.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "runtime/exec/progress.h"
#include "runtime/sinks/elasticsearch/index_admin.h"
#include "runtime/sinks/elasticsearch/index_versions.h"
#include "tools/pipec/cli.h"

namespace pipec::cli {

namespace {

// --hosts, --username, --password-env, --api-key-env, --ca-file -> the sink's option map.
bool take_connection(Args& args, es::EsOptionMap* options, std::string* error) {
  std::string value;
  if (take_option(args, "--hosts", &value)) (*options)["hosts"] = value;
  if (take_option(args, "--username", &value)) (*options)["username"] = value;
  if (take_option(args, "--ca-file", &value)) (*options)["ca-file"] = value;
  for (auto [flag, key] : {std::pair{"--password-env", "password"}, std::pair{"--api-key-env", "api-key"}}) {
    if (!take_option(args, flag, &value)) continue;
    const char* secret = std::getenv(value.c_str());
    if (!secret) {
      *error = fmt::format("{} {}: the environment variable {} is not set", flag, value, value);
      return false;
    }
    (*options)[key] = secret;
  }
  if (!options->count("hosts")) {
    *error = "alias: --hosts URL is required (e.g. --hosts http://127.0.0.1:9200)";
    return false;
  }
  return true;
}

int list_versions_of(es::IndexAdmin& admin, const std::string& alias, const std::string& where) {
  std::vector<std::string> live;
  std::vector<es::IndexVersion> versions = es::list_versions(admin, alias, &live);
  if (versions.empty() && live.empty()) {
    fmt::print(stderr, "pipec alias: alias '{}' does not exist on {} and has no versions\n", alias, where);
    return 1;
  }
  fmt::print("alias '{}' on {}:\n", alias, where);
  for (const auto& v : versions)
    fmt::print("{} {:<40} {:>14} documents{}\n", v.live ? "*" : " ", v.index, group_digits(v.documents),
               v.live ? "  (live)" : "");
  for (const auto& l : live)
    if (!es::is_version_of(alias, l)) fmt::print("* {:<40} (live, not a version of '{}')\n", l, alias);
  if (live.empty()) fmt::print("the alias does not exist: no version is live\n");
  return 0;
}

int rollback(es::IndexAdmin& admin, const std::string& alias, const std::string& to, const std::string& where) {
  std::vector<std::string> live;
  std::vector<std::string> versions;
  for (const auto& v : es::list_versions(admin, alias, &live)) versions.push_back(v.index);
  if (live.empty()) {
    fmt::print(stderr, "pipec alias: alias '{}' does not exist on {}: nothing to roll back\n", alias, where);
    return 1;
  }
  if (live.size() > 1) {
    fmt::print(stderr, "pipec alias: alias '{}' points to {} indices ({}, ...): roll back with --to INDEX\n", alias,
               live.size(), live.front());
    if (to.empty()) return 1;
  }
  std::string target = to;
  if (target.empty()) {
    target = es::previous_version(versions, live.front());
    if (target.empty()) {
      fmt::print(stderr, "pipec alias: alias '{}' points to {}, and no older version of it exists on {}: nothing to "
                         "roll back to\n", alias, live.front(), where);
      return 1;
    }
  } else if (std::find(versions.begin(), versions.end(), target) == versions.end()) {
    fmt::print(stderr, "pipec alias: '{}' is not a version of alias '{}' on {} (see pipec alias list {})\n", target,
               alias, where, alias);
    return 1;
  }
  std::vector<std::string> removed = admin.swap_alias(alias, target);
  std::string was;
  for (const auto& r : removed) was += (was.empty() ? "" : ", ") + r;
  fmt::print("alias '{}' -> {} (was {}; kept)\n", alias, target, was.empty() ? target : was);
  return 0;
}

int alias_command(Args args) {
  if (args.empty() || (args[0] != "list" && args[0] != "rollback"))
    return usage_error("alias expects 'list ALIAS' or 'rollback ALIAS' (with --hosts URL)");
  std::string action = args[0];
  args.erase(args.begin());
  es::EsOptionMap options;
  std::string error, to;
  if (!take_connection(args, &options, &error)) return usage_error(error);
  if (action == "rollback") take_option(args, "--to", &to);
  for (const auto& a : args)
    if (a.size() > 1 && a[0] == '-') return usage_error("unknown option '" + a + "' for alias " + action);
  if (args.size() != 1) return usage_error("alias " + action + " takes exactly one ALIAS");
  const std::string& alias = args[0];
  try {
    es::EsConfig config = es::parse_es_config(options);
    config.request_timeout_ms = 60'000;
    std::string where = config.hosts.front();
    es::IndexAdmin admin(config);
    return action == "list" ? list_versions_of(admin, alias, where) : rollback(admin, alias, to, where);
  } catch (const es::EsConfigError& e) {
    return usage_error(e.what());
  } catch (const es::EsAdminError& e) {
    fmt::print(stderr, "pipec alias: {}{}\n", e.status == 0 ? "cannot reach the cluster: " : "", e.what());
    return e.status == 0 ? 2 : 1;
  }
}

const bool registered = register_command("alias", &alias_command);

}  // namespace
}  // namespace pipec::cli
