// Catalogue-wide checks: metadata, symbols, documentation coverage, and a
// totality sweep that calls every overload with hostile arguments.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "tests/unit/stdlib/stdlib_test_util.h"

using namespace pipec;
using namespace pipec::test;

namespace {

const std::set<std::string> kFamilies = {"string", "math", "null", "time", "hash", "privacy", "json"};

std::string read_docs() {
  std::ifstream in(std::string(PIPEC_SOURCE_DIR) + "/docs/functions.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Value> hostile(TypeId t) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  switch (t) {
    case TypeId::Boolean: return {B(true), B(false), N(t)};
    case TypeId::BigInt:
      return {I(0), I(1), I(-1), I(2), I(4), I(33), I(-7), I(INT64_MAX), I(INT64_MIN), I(INT64_MIN + 1),
              I(1LL << 40), N(t)};
    case TypeId::Double:
      return {D(0), D(-0.0), D(1.5), D(-2.5), D(nan), D(inf), D(-inf), D(1e308), D(-1e-308), D(5e-324), N(t)};
    case TypeId::Timestamp:
    case TypeId::Interval: {
      auto mk = [t](int64_t x) { Value v = I(x); v.type = t; return v; };
      return {mk(0), mk(-1), mk(1715940672345), mk(-62135596800001), mk(INT64_MAX), mk(INT64_MIN), N(t)};
    }
    default: {
      std::vector<Value> v = {S(""), S("a"), S("%"), S("_"), S("\\"), S("$"), S("$.a"), S("$[0]"), S("("),
                              S("[a-"), S("yyyy-MM-dd"), S("'"), S("day"), S("week"), S("year"), S("dow"),
                              S("{\"a\":[1,{\"b\":null}]}"), S("[1,2"), S("\xFF\xFE\x80"), S("\x80" "abc"),
                              S("a\xC3"), S("\xF0\x9F\x98\x80\xE4\xB8\x96"), S(std::string("\0x\0", 3)),
                              S("2024-02-29T23:59:59.999+14:00"), S("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                              S("x@y"), S("\\9"), S(std::string(3000, 'a')), N(t)};
      if (t != TypeId::String)
        for (auto& x : v) x.type = t;  // ROW / ARRAY values travel as text
      return v;
    }
  }
}

}  // namespace

TEST_CASE("every function has a name, family, description and well-formed overloads") {
  const auto& fns = FunctionCatalogue::instance().functions();
  CHECK(fns.size() >= 60);
  std::set<std::string> symbols;
  for (const auto& f : fns) {
    INFO(f.name);
    CHECK_FALSE(f.name.empty());
    CHECK(f.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos);
    CHECK(kFamilies.count(f.family) == 1);
    CHECK(f.description.size() >= 10);
    CHECK_FALSE(f.overloads.empty());
    std::set<std::vector<TypeId>> signatures;
    for (const auto& o : f.overloads) {
      CHECK((o.thunk != nullptr));
      CHECK(o.result != TypeId::Null);
      CHECK(symbols.insert(o.symbol).second);  // unique across the catalogue
      CHECK(o.symbol.rfind("pipec_fn_", 0) == 0);
      CHECK(o.symbol.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos);
      CHECK(signatures.insert(o.args).second);  // no two overloads with the same argument types
      if (o.variadic) CHECK_FALSE(o.args.empty());
    }
  }
}

TEST_CASE("lookup is case-insensitive") {
  CHECK(FunctionCatalogue::instance().find("UPPER") == FunctionCatalogue::instance().find("upper"));
  CHECK(FunctionCatalogue::instance().find("no_such_function") == nullptr);
}

TEST_CASE("only now() is non-deterministic") {
  for (const auto& f : FunctionCatalogue::instance().functions()) {
    INFO(f.name);
    CHECK(f.deterministic == (f.name != "now"));
  }
}

TEST_CASE("docs/functions.md documents every function") {
  std::string docs = read_docs();
  REQUIRE_FALSE(docs.empty());
  for (const auto& f : FunctionCatalogue::instance().functions()) {
    INFO(f.name);
    CHECK(docs.find("`" + f.name + "(") != std::string::npos);
  }
}

TEST_CASE("call_function answers NULL for a wrong argument count") {
  const ScalarFunction* upper = FunctionCatalogue::instance().find("upper");
  TestContext t;
  CHECK(call_function(*upper, upper->overloads[0], {}, t.ctx).is_null);
  CHECK(call_function(*upper, upper->overloads[0], {S("a"), S("b")}, t.ctx).is_null);
}

// Every overload, every combination of hostile arguments (sampled when there
// are too many): no crash, no exception, and well-formed results. Run the
// unit tests with PIPEC_SANITIZE=ON to also catch UB and memory errors.
TEST_CASE("totality: every overload survives hostile arguments") {
  TestContext t;
  size_t calls = 0, failures = 0;
  std::string first_failure;
  uint64_t rng = 0x9E3779B97F4A7C15ULL;
  for (const auto& f : FunctionCatalogue::instance().functions()) {
    for (const auto& o : f.overloads) {
      std::vector<TypeId> types = o.args;
      if (o.variadic) types.push_back(o.args.back());  // one extra repetition
      std::vector<std::vector<Value>> pools;
      size_t combos = 1;
      for (TypeId ty : types) {
        pools.push_back(hostile(ty));
        combos *= pools.back().size();
      }
      const size_t limit = 3000;
      for (size_t k = 0; k < std::min(combos, limit); ++k) {
        size_t idx = k;
        if (combos > limit) {
          rng ^= rng << 13;
          rng ^= rng >> 7;
          rng ^= rng << 17;
          idx = static_cast<size_t>(rng % combos);
        }
        std::vector<Value> args;
        for (const auto& pool : pools) {
          args.push_back(pool[idx % pool.size()]);
          idx /= pool.size();
        }
        t.arena.reset();
        Value v = call_function(f, o, args, t.ctx);
        ++calls;
        bool any_null = false;
        for (const auto& a : args) any_null |= a.is_null;
        const char* problem = v.type != o.result ? "wrong result type"
                              : !v.is_null && v.s.size() > (size_t{64} << 20) ? "result over the size cap"
                              : f.nulls == NullHandling::Propagate && any_null && !v.is_null
                                  ? "NULL argument did not give NULL"
                                  : nullptr;
        if (problem && failures++ == 0) {
          first_failure = f.name + ": " + problem + " for (";
          for (const auto& a : args) first_failure += a.to_sql() + ", ";
          first_failure += ")";
        }
      }
    }
  }
  INFO(first_failure);
  CHECK(failures == 0);
  CHECK(calls > 10000);
}
