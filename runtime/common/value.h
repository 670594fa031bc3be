// A single typed SQL value: constant folding, literals, the reference
// evaluator and test oracles use it. Hot paths use column vectors instead.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/common/types.h"

namespace pipec {

struct Value {
  TypeId type = TypeId::Null;
  bool is_null = true;
  bool b = false;
  int64_t i = 0;     // BIGINT, TIMESTAMP (ms), INTERVAL (ms)
  double d = 0;
  std::string s;     // STRING, and ROW/ARRAY as JSON text

  static Value null(TypeId t = TypeId::Null) { Value v; v.type = t; return v; }
  static Value boolean(bool x) { Value v; v.type = TypeId::Boolean; v.is_null = false; v.b = x; return v; }
  static Value bigint(int64_t x) { Value v; v.type = TypeId::BigInt; v.is_null = false; v.i = x; return v; }
  static Value float64(double x) { Value v; v.type = TypeId::Double; v.is_null = false; v.d = x; return v; }
  static Value string(std::string x, TypeId t = TypeId::String) {
    Value v; v.type = t; v.is_null = false; v.s = std::move(x); return v;
  }
  static Value timestamp(int64_t ms) { Value v = bigint(ms); v.type = TypeId::Timestamp; return v; }
  static Value interval(int64_t ms) { Value v = bigint(ms); v.type = TypeId::Interval; return v; }

  // SQL-ish rendering for explain and messages: 'text', 12, 1.5, TRUE, NULL,
  // TIMESTAMP '2024-01-02 03:04:05.000', INTERVAL '60000' MILLISECOND.
  std::string to_sql() const;
  // Exact equality including type and NULL-ness (NULL equals NULL here):
  // for tests and plan comparison, not SQL semantics.
  bool identical(const Value& other) const;
};

}  // namespace pipec
