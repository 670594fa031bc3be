// Versioned indices behind an alias, for blue/green loads (`pipec run
// --batch`) and `pipec alias list|rollback`.
//
// A version of alias A is a concrete index named
//
//   A-yyyyMMdd-HHmmss        (UTC time the load started)
//   A-yyyyMMdd-HHmmss-NN     (NN = 01..99 when that name is already taken)
//
// so plain string order is chronological order ('-' sorts before digits).
// Other indices matching A-* (e.g. versions of an alias "A-daily") are not
// versions of A and are never touched.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pipec::es {

class IndexAdmin;

// The name for a new version of `alias` loaded at `now_millis` (UTC), not
// among `existing`. Throws std::runtime_error when all 100 names of that
// second are taken.
std::string new_version_name(std::string_view alias, int64_t now_millis, const std::vector<std::string>& existing);

bool is_version_of(std::string_view alias, std::string_view index);

// The versions of `alias` among `names`, oldest first.
std::vector<std::string> versions_of(std::string_view alias, std::vector<std::string> names);

// After `live` went live: the versions beyond the newest `keep` (live is
// always kept, as is anything newer than it), oldest first.
std::vector<std::string> versions_to_delete(const std::vector<std::string>& versions, std::string_view live, int keep);

// The newest version older than `live`; empty when there is none.
std::string previous_version(const std::vector<std::string>& versions, std::string_view live);

struct IndexVersion {
  std::string index;
  uint64_t documents = 0;
  bool live = false;  // the alias points at it
};

// Every version of `alias` on the cluster, oldest first, with document
// counts; `live_indices` receives what the alias points at (versions or not).
std::vector<IndexVersion> list_versions(IndexAdmin& admin, std::string_view alias,
                                        std::vector<std::string>* live_indices = nullptr);

}  // namespace pipec::es
