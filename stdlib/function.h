// The scalar-function API: how a stdlib function is written once and becomes
// callable from JIT-compiled kernels, the reference evaluator and constant
// folding alike.
//
// Every function reaches callers through one C-ABI entry point (a "thunk"):
//
//   uint8_t thunk(FunctionContext* ctx, void* out, void* const* args,
//                 const uint8_t* valid, uint32_t nargs);
//
// args[i] points at the argument's physical value (int64_t, double, uint8_t
// for BOOLEAN, StringRef), valid[i] says whether it is non-NULL, the result is
// written to *out and the return value says whether it is non-NULL. One
// uniform signature keeps codegen trivial; arithmetic, comparison and logic
// are generated inline, so thunks are only paid for real library work.
//
// Most functions are "simple" (Velox's term): a struct with a static `call`
// whose C++ argument types state the signature, and NULL in -> NULL out:
//
//   struct Upper {
//     static bool call(FunctionContext& ctx, StringRef& out, StringRef s);
//   };
//   catalogue.add_simple<Upper, TypeId::String, TypeId::String>("upper", "...");
//
// `call` returns false to produce NULL (e.g. to_timestamp of garbage).
// A STRING result is allocated in ctx.arena, or is a zero-copy slice of a
// string argument (substr, trim, left, regexp_extract, ...), so it lives as
// long as both the arena and the argument bytes (in practice: the batch).
// Functions that look at NULLs themselves (coalesce, nullif) or take a
// variable number of arguments register a raw thunk with add_raw.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/common/types.h"
#include "runtime/vector/string_arena.h"
#include "runtime/vector/string_ref.h"

namespace pipec {

// Per-pipeline state a function may need: an arena for result strings,
// secrets, the clock, caches (compiled regexes). Kernels pass the same
// context to every call in a batch.
class FunctionContext {
 public:
  FunctionContext();
  ~FunctionContext();
  FunctionContext(const FunctionContext&) = delete;
  FunctionContext& operator=(const FunctionContext&) = delete;

  // Result strings live until the arena is reset by the caller (per batch).
  StringArena* arena = nullptr;
  StringRef copy(std::string_view s) { return arena->copy(s); }

  // now() is evaluated once per run so a batch sees one consistent time.
  int64_t now_millis = 0;

  // Secrets resolved from the environment by secret('NAME'), e.g. the key of
  // hash_pii. Missing secrets are bind errors, so lookups here succeed.
  std::function<std::string(std::string_view)> secret_lookup;

  // Opaque cache slots keyed by a function-chosen string (e.g. "re:" + pattern).
  template <typename T>
  T* cached(const std::string& key, const std::function<std::unique_ptr<T>()>& make) {
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      auto obj = make();
      T* raw = obj.get();
      cache_.emplace(key, std::shared_ptr<void>(obj.release(), [](void* p) { delete static_cast<T*>(p); }));
      return raw;
    }
    return static_cast<T*>(it->second.get());
  }

 private:
  std::map<std::string, std::shared_ptr<void>> cache_;
};

using FunctionThunk = uint8_t (*)(FunctionContext* ctx, void* out, void* const* args,
                                  const uint8_t* valid, uint32_t nargs);

// C++ type of a value of each logical type, as stored in vectors.
template <TypeId T> struct PhysicalOf;
template <> struct PhysicalOf<TypeId::Boolean> { using type = uint8_t; };
template <> struct PhysicalOf<TypeId::BigInt> { using type = int64_t; };
template <> struct PhysicalOf<TypeId::Double> { using type = double; };
template <> struct PhysicalOf<TypeId::String> { using type = StringRef; };
template <> struct PhysicalOf<TypeId::Timestamp> { using type = int64_t; };
template <> struct PhysicalOf<TypeId::Interval> { using type = int64_t; };
template <TypeId T> using Phys = typename PhysicalOf<T>::type;

enum class NullHandling {
  Propagate,  // any NULL argument -> NULL result; the function never sees NULL
  Custom,     // the function inspects `valid` itself
};

struct FunctionOverload {
  std::vector<TypeId> args;  // with `variadic`, the last entry repeats 0+ times
  bool variadic = false;
  TypeId result = TypeId::Null;
  FunctionThunk thunk = nullptr;
  std::string symbol;        // unique name the JIT links the thunk under
};

struct ScalarFunction {
  std::string name;          // lower-case
  std::string family;        // string, math, null, time, hash, privacy, json
  std::string description;
  NullHandling nulls = NullHandling::Propagate;
  bool deterministic = true; // false for now(): never constant-folded
  std::vector<FunctionOverload> overloads;
};

namespace detail {
template <typename F, TypeId Ret, TypeId... Args, size_t... I>
uint8_t simple_thunk_impl(FunctionContext* ctx, void* out, void* const* args, const uint8_t* valid,
                          std::index_sequence<I...>) {
  if (((!valid[I]) || ...)) return 0;
  return F::call(*ctx, *static_cast<Phys<Ret>*>(out), *static_cast<const Phys<Args>*>(args[I])...) ? 1 : 0;
}

template <typename F, TypeId Ret, TypeId... Args>
uint8_t simple_thunk(FunctionContext* ctx, void* out, void* const* args, const uint8_t* valid, uint32_t) {
  return simple_thunk_impl<F, Ret, Args...>(ctx, out, args, valid, std::index_sequence_for<Phys<Args>...>{});
}
}  // namespace detail

}  // namespace pipec
