// Per-context caches of compiled arguments (regexes, timestamp formats, JSON
// paths), keyed by the argument text.
//
// Patterns are usually constants, but nothing stops a pipeline from passing a
// column as the pattern, and then every distinct value of poison data would
// otherwise stay cached forever. The cache is therefore bounded: when it holds
// kMaxEntries entries it is cleared. The last key is remembered so the common
// constant-pattern case costs one string comparison and no allocation.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "stdlib/function.h"

namespace pipec::stdlib_detail {

template <typename T>
class BoundedCache {
 public:
  static constexpr size_t kMaxEntries = 256;

  template <typename Make>
  const T* get(std::string_view key, Make&& make) {
    if (last_ && key == last_key_) return last_;
    std::string k(key);
    auto it = map_.find(k);
    if (it == map_.end()) {
      if (map_.size() >= kMaxEntries) map_.clear();
      it = map_.emplace(k, make(key)).first;
    }
    last_key_ = std::move(k);
    last_ = it->second.get();
    return last_;
  }

 private:
  std::unordered_map<std::string, std::unique_ptr<T>> map_;
  std::string last_key_;
  const T* last_ = nullptr;
};

// The compiled form of `key` for one kind of object (cache_name, e.g.
// "stdlib.regex"); make(key) builds a std::unique_ptr<T> on a miss. The
// pointer is valid until the next lookup in the same cache.
template <typename T, typename Make>
const T* cached_compile(FunctionContext& ctx, const char* cache_name, std::string_view key, Make&& make) {
  auto* cache = ctx.cached<BoundedCache<T>>(cache_name, [] { return std::make_unique<BoundedCache<T>>(); });
  return cache->get(key, std::forward<Make>(make));
}

// Results longer than this are NULL: pad widths and replacements come from
// data, and one poison row must not make a pipeline allocate gigabytes.
inline constexpr size_t kMaxResultBytes = size_t{64} << 20;

}  // namespace pipec::stdlib_detail
