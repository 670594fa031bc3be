// Helpers for the stdlib tests: call functions by name on Values through the
// same thunks the JIT calls (call_function), with binder-like overload
// resolution (exact argument types first, then BIGINT -> DOUBLE casts; a NULL
// literal of type NULL matches any type).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/value.h"
#include "stdlib/catalogue.h"

namespace pipec::test {

inline Value S(std::string s) { return Value::string(std::move(s)); }
inline Value I(int64_t x) { return Value::bigint(x); }
inline Value D(double x) { return Value::float64(x); }
inline Value B(bool x) { return Value::boolean(x); }
inline Value TS(int64_t ms) { return Value::timestamp(ms); }
inline Value IV(int64_t ms) { return Value::interval(ms); }
inline Value N(TypeId t = TypeId::Null) { return Value::null(t); }

// 0: no match, 1: match with casts, 2: exact.
inline int match_quality(const FunctionOverload& o, const std::vector<Value>& args) {
  if (o.variadic ? args.size() + 1 < o.args.size() : args.size() != o.args.size()) return 0;
  bool exact = true;
  for (size_t k = 0; k < args.size(); ++k) {
    TypeId want = k < o.args.size() ? o.args[k] : o.args.back();
    TypeId have = args[k].type;
    if (have == want || have == TypeId::Null) continue;
    if (have == TypeId::BigInt && want == TypeId::Double) {
      exact = false;
      continue;
    }
    return 0;
  }
  return exact ? 2 : 1;
}

inline const FunctionOverload* resolve(const ScalarFunction& fn, const std::vector<Value>& args) {
  const FunctionOverload* best = nullptr;
  int best_q = 0;
  for (const auto& o : fn.overloads) {
    int q = match_quality(o, args);
    if (q > best_q) {
      best = &o;
      best_q = q;
    }
  }
  return best;
}

struct TestContext {
  StringArena arena;
  FunctionContext ctx;
  TestContext() {
    ctx.arena = &arena;
    ctx.now_millis = 1'700'000'000'123;
  }
};

inline TestContext& shared_context() {
  static TestContext t;
  return t;
}

// Calls name(args); a function or overload that does not exist is a test
// failure and yields a Value of type Null with is_null = false marker s="<no overload>".
inline Value call(std::string_view name, std::vector<Value> args, FunctionContext* ctx = nullptr) {
  const ScalarFunction* fn = FunctionCatalogue::instance().find(name);
  if (!fn) {
    FAIL_CHECK("no function " << name);
    Value v = Value::string("<no function>");
    return v;
  }
  const FunctionOverload* o = resolve(*fn, args);
  if (!o) {
    FAIL_CHECK("no overload of " << name << " for these arguments");
    return Value::string("<no overload>");
  }
  for (size_t k = 0; k < args.size(); ++k) {
    TypeId want = k < o->args.size() ? o->args[k] : o->args.back();
    if (args[k].type == TypeId::BigInt && want == TypeId::Double) args[k] = Value::float64(double(args[k].i));
    if (args[k].type == TypeId::Null) args[k].type = want;
  }
  TestContext& t = shared_context();
  if (!ctx) {
    t.arena.reset();
    ctx = &t.ctx;
  }
  return call_function(*fn, *o, args, *ctx);
}

// The result rendered as SQL text: 'abc', 12, 1.5, TRUE, NULL, TIMESTAMP '...'.
inline std::string eval(std::string_view name, std::vector<Value> args) { return call(name, std::move(args)).to_sql(); }

// A string result, or "<NULL>" for NULL.
inline std::string str(std::string_view name, std::vector<Value> args) {
  Value v = call(name, std::move(args));
  return v.is_null ? "<NULL>" : v.s;
}

}  // namespace pipec::test
