#include "compiler/plan/expression_evaluator.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "runtime/common/timestamp.h"

namespace pipec {

namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

Value bool_or_null(int v) { return v < 0 ? Value::null(TypeId::Boolean) : Value::boolean(v != 0); }

// JSON text of a ROW value -> the field at `path`, converted to `type`.
Value extract_json_path(const std::string& json, const std::vector<std::string>& path, const Type& type) {
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  if (parser.parse(json).get(el)) return Value::null(type.id);
  for (const auto& key : path) {
    simdjson::dom::object obj;
    if (el.get_object().get(obj)) return Value::null(type.id);
    if (obj.at_key(key).get(el)) return Value::null(type.id);
  }
  if (el.is_null()) return Value::null(type.id);
  if (type.is_nested()) return Value::string(simdjson::to_string(el), type.id);
  switch (type.id) {
    case TypeId::Boolean: {
      bool b;
      return el.get_bool().get(b) ? Value::null(type.id) : Value::boolean(b);
    }
    case TypeId::BigInt: {
      int64_t i;
      return el.get_int64().get(i) ? Value::null(type.id) : Value::bigint(i);
    }
    case TypeId::Double: {
      double d;
      return el.get_double().get(d) ? Value::null(type.id) : Value::float64(d);
    }
    case TypeId::Timestamp: {
      int64_t i;
      if (!el.get_int64().get(i)) return Value::timestamp(i);
      std::string_view s;
      int64_t ms;
      std::string_view err;
      if (!el.get_string().get(s) && parse_iso8601_millis(s, &ms, &err)) return Value::timestamp(ms);
      return Value::null(type.id);
    }
    default: {
      std::string_view s;
      return el.get_string().get(s) ? Value::null(type.id) : Value::string(std::string(s));
    }
  }
}

}  // namespace

std::string value_to_string(const Value& v) {
  switch (v.type) {
    case TypeId::Boolean: return v.b ? "true" : "false";
    case TypeId::BigInt: return std::to_string(v.i);
    case TypeId::Interval: return std::to_string(v.i);
    case TypeId::Double: {
      if (std::isnan(v.d)) return "NaN";
      if (std::isinf(v.d)) return v.d > 0 ? "Infinity" : "-Infinity";
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.d);
      return std::string(buf, r.ptr);
    }
    case TypeId::Timestamp: {
      char buf[kMaxIso8601Length];
      size_t n = format_iso8601_millis(v.i, buf);
      return std::string(buf, n);
    }
    default: return v.s;
  }
}

Value cast_value(const Value& v, const Type& to) {
  if (v.is_null) return Value::null(to.id);
  if (v.type == to.id) return v;
  switch (to.id) {
    case TypeId::String: return Value::string(value_to_string(v));
    case TypeId::Boolean:
      switch (v.type) {
        case TypeId::BigInt: return Value::boolean(v.i != 0);
        case TypeId::Double: return Value::boolean(v.d != 0);
        case TypeId::String: {
          std::string s = trim(v.s);
          for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (s == "true" || s == "t" || s == "1" || s == "yes" || s == "y") return Value::boolean(true);
          if (s == "false" || s == "f" || s == "0" || s == "no" || s == "n") return Value::boolean(false);
          return Value::null(TypeId::Boolean);
        }
        default: return Value::null(TypeId::Boolean);
      }
    case TypeId::BigInt:
    case TypeId::Timestamp:
    case TypeId::Interval: {
      int64_t out = 0;
      switch (v.type) {
        case TypeId::Boolean: out = v.b; break;
        case TypeId::BigInt:
        case TypeId::Timestamp:
        case TypeId::Interval: out = v.i; break;
        case TypeId::Double: {
          // Round half away from zero (DuckDB); out of range -> NULL.
          double r = std::round(v.d);
          if (!std::isfinite(r) || r < -9223372036854775808.0 || r >= 9223372036854775808.0) return Value::null(to.id);
          out = static_cast<int64_t>(r);
          break;
        }
        case TypeId::String: {
          std::string s = trim(v.s);
          if (to.id == TypeId::Timestamp) {
            std::string_view err;
            if (parse_iso8601_millis(s, &out, &err)) break;
          }
          auto r = std::from_chars(s.data(), s.data() + s.size(), out);
          if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return Value::null(to.id);
          break;
        }
        default: return Value::null(to.id);
      }
      Value r = Value::bigint(out);
      r.type = to.id;
      return r;
    }
    case TypeId::Double:
      switch (v.type) {
        case TypeId::Boolean: return Value::float64(v.b ? 1 : 0);
        case TypeId::BigInt:
        case TypeId::Timestamp:
        case TypeId::Interval: return Value::float64(static_cast<double>(v.i));
        case TypeId::String: {
          std::string s = trim(v.s);
          double d;
          auto r = std::from_chars(s.data(), s.data() + s.size(), d);
          if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return Value::null(TypeId::Double);
          return Value::float64(d);
        }
        default: return Value::null(TypeId::Double);
      }
    default: return Value::null(to.id);
  }
}

int compare_values(const Value& a, const Value& b) {
  switch (a.type) {
    case TypeId::Boolean: return (a.b > b.b) - (a.b < b.b);
    case TypeId::Double: {
      bool an = std::isnan(a.d), bn = std::isnan(b.d);
      if (an || bn) return an && bn ? 0 : an ? 1 : -1;
      return (a.d > b.d) - (a.d < b.d);
    }
    case TypeId::String:
    case TypeId::Row:
    case TypeId::Array: {
      int c = a.s.compare(b.s);  // byte order (binary collation)
      return (c > 0) - (c < 0);
    }
    default: return (a.i > b.i) - (a.i < b.i);
  }
}

namespace {

Value arithmetic(ast::Op op, const Value& a, const Value& b, const Type& result) {
  using ast::Op;
  if (a.is_null || b.is_null) return Value::null(result.id);
  if (op == Op::Concat) return Value::string(a.s + b.s);
  if (result.id == TypeId::Double) {
    double x = a.type == TypeId::Double ? a.d : static_cast<double>(a.i);
    double y = b.type == TypeId::Double ? b.d : static_cast<double>(b.i);
    switch (op) {
      case Op::Add: return Value::float64(x + y);
      case Op::Sub: return Value::float64(x - y);
      case Op::Mul: return Value::float64(x * y);
      case Op::Div: return Value::float64(x / y);  // IEEE: x/0 = ±inf, 0/0 = NaN (as DuckDB)
      case Op::Mod: return y == 0 ? Value::null(TypeId::Double) : Value::float64(std::fmod(x, y));
      default: return Value::null(TypeId::Double);
    }
  }
  // Integer-like: BIGINT, TIMESTAMP +/- INTERVAL, TIMESTAMP - TIMESTAMP, INTERVAL ops.
  int64_t x = a.i, y = b.i, r = 0;
  bool overflow = false;
  switch (op) {
    case Op::Add: overflow = __builtin_add_overflow(x, y, &r); break;
    case Op::Sub: overflow = __builtin_sub_overflow(x, y, &r); break;
    case Op::Mul: overflow = __builtin_mul_overflow(x, y, &r); break;
    case Op::Div:
      if (y == 0 || (x == std::numeric_limits<int64_t>::min() && y == -1)) return Value::null(result.id);
      r = x / y;
      break;
    case Op::Mod:
      if (y == 0) return Value::null(result.id);
      r = y == -1 ? 0 : x % y;
      break;
    default: return Value::null(result.id);
  }
  if (overflow) return Value::null(result.id);
  Value v = Value::bigint(r);
  v.type = result.id;
  return v;
}

}  // namespace

Value evaluate(const BoundExpr& e, const std::vector<Value>& row, FunctionContext& ctx) {
  switch (e.kind) {
    case BoundKind::Constant: return e.value;
    case BoundKind::Column: {
      if (e.column < 0 || static_cast<size_t>(e.column) >= row.size()) return Value::null(e.type->id);
      return row[e.column];
    }
    case BoundKind::FieldAccess: {
      Value base = evaluate(*e.children[0], row, ctx);
      if (base.is_null) return Value::null(e.type->id);
      return extract_json_path(base.s, e.field_path, *e.type);
    }
    case BoundKind::Cast: return cast_value(evaluate(*e.children[0], row, ctx), *e.type);
    case BoundKind::Negate: {
      Value v = evaluate(*e.children[0], row, ctx);
      if (v.is_null) return Value::null(e.type->id);
      if (v.type == TypeId::Double) return Value::float64(-v.d);
      if (v.i == std::numeric_limits<int64_t>::min()) return Value::null(e.type->id);
      v.i = -v.i;
      return v;
    }
    case BoundKind::Not: {
      Value v = evaluate(*e.children[0], row, ctx);
      return v.is_null ? v : Value::boolean(!v.b);
    }
    case BoundKind::Arithmetic:
      return arithmetic(e.op, evaluate(*e.children[0], row, ctx), evaluate(*e.children[1], row, ctx), *e.type);
    case BoundKind::Compare: {
      Value a = evaluate(*e.children[0], row, ctx);
      Value b = evaluate(*e.children[1], row, ctx);
      if (a.is_null || b.is_null) return Value::null(TypeId::Boolean);
      int c = compare_values(a, b);
      switch (e.op) {
        case ast::Op::Eq: return Value::boolean(c == 0);
        case ast::Op::Ne: return Value::boolean(c != 0);
        case ast::Op::Lt: return Value::boolean(c < 0);
        case ast::Op::Le: return Value::boolean(c <= 0);
        case ast::Op::Gt: return Value::boolean(c > 0);
        case ast::Op::Ge: return Value::boolean(c >= 0);
        default: return Value::null(TypeId::Boolean);
      }
    }
    case BoundKind::And:
    case BoundKind::Or: {
      // 1 true, 0 false, -1 NULL. AND: any false -> false; OR: any true -> true.
      bool is_and = e.kind == BoundKind::And;
      bool saw_null = false;
      for (const auto& c : e.children) {
        Value v = evaluate(*c, row, ctx);
        if (v.is_null) saw_null = true;
        else if (v.b != is_and) return Value::boolean(!is_and);
      }
      return bool_or_null(saw_null ? -1 : is_and ? 1 : 0);
    }
    case BoundKind::IsNull: {
      bool null = evaluate(*e.children[0], row, ctx).is_null;
      return Value::boolean(e.negated ? !null : null);
    }
    case BoundKind::IsTrue: {
      Value v = evaluate(*e.children[0], row, ctx);
      bool match = !v.is_null && v.b == e.bool_value;
      return Value::boolean(e.negated ? !match : match);
    }
    case BoundKind::Case: {
      size_t pairs = (e.children.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) {
        Value c = evaluate(*e.children[2 * i], row, ctx);
        if (!c.is_null && c.b) return evaluate(*e.children[2 * i + 1], row, ctx);
      }
      return e.has_else ? evaluate(*e.children.back(), row, ctx) : Value::null(e.type->id);
    }
    case BoundKind::Call: {
      std::vector<Value> args;
      args.reserve(e.children.size());
      for (const auto& c : e.children) args.push_back(evaluate(*c, row, ctx));
      Value r = call_function(*e.function, *e.overload, args, ctx);
      r.type = e.type->id;
      return r;
    }
    case BoundKind::Secret: {
      if (!ctx.secret_lookup) return Value::null(TypeId::String);
      return Value::string(ctx.secret_lookup(e.name));
    }
    case BoundKind::Aggregate:
    case BoundKind::WindowStart:
    case BoundKind::WindowEnd: return Value::null(e.type->id);  // evaluated by the window operator
  }
  return Value::null(e.type ? e.type->id : TypeId::Null);
}

}  // namespace pipec
