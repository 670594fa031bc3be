#include "compiler/bind/expression_binder.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "runtime/common/timestamp.h"
#include "stdlib/validation.h"

namespace pipec {

using ast::Expr;
using ast::ExprKind;
using ast::LiteralKind;
using ast::Op;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool iequals(std::string_view a, std::string_view b) { return lower(std::string(a)) == lower(std::string(b)); }

std::string type_list(const std::vector<BoundExprPtr>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out += ", ";
    out += args[i]->type->to_string();
  }
  return out;
}


TypePtr type_of(TypeId id) {
  switch (id) {
    case TypeId::Boolean: return Type::boolean();
    case TypeId::BigInt: return Type::bigint();
    case TypeId::Double: return Type::float64();
    case TypeId::String: return Type::string();
    case TypeId::Timestamp: return Type::timestamp();
    case TypeId::Interval: return Type::interval();
    default: return Type::null();
  }
}

}  // namespace

// ---------------------------------------------------------------- type rules

TypePtr common_type(const BoundExpr& a, const BoundExpr& b) {
  const Type& ta = *a.type;
  const Type& tb = *b.type;
  if (ta.id == TypeId::Null) return b.type;
  if (tb.id == TypeId::Null) return a.type;
  if (type_equals(ta, tb)) return a.type;
  if (ta.is_numeric() && tb.is_numeric()) return Type::float64();
  if (ta.id == TypeId::Timestamp && tb.id == TypeId::String && b.is_constant()) return a.type;
  if (tb.id == TypeId::Timestamp && ta.id == TypeId::String && a.is_constant()) return b.type;
  return nullptr;
}

bool can_cast_explicitly(const Type& from, const Type& to) {
  if (from.id == TypeId::Null || type_equals(from, to)) return true;
  if (to.id == TypeId::String) return true;  // everything renders (ROW/ARRAY as JSON)
  if (to.is_nested() || from.id == TypeId::Row || from.id == TypeId::Array) return false;
  if (from.id == TypeId::Interval || to.id == TypeId::Interval)
    return from.id == TypeId::BigInt || to.id == TypeId::BigInt;
  return true;  // among BOOLEAN, BIGINT, DOUBLE, STRING, TIMESTAMP
}

bool can_cast_implicitly(const BoundExpr& from, TypeId to) {
  TypeId f = from.type->id;
  if (f == to || f == TypeId::Null) return true;
  if (f == TypeId::BigInt && to == TypeId::Double) return true;
  if (f == TypeId::String && to == TypeId::Timestamp && from.is_constant()) return true;
  return false;
}

namespace {
// Folds a cast of a constant at bind time; returns false if it cannot.
bool cast_constant(const Value& v, const Type& to, Value* out) {
  if (v.is_null) {
    *out = Value::null(to.id);
    return true;
  }
  if (to.id == TypeId::Double && v.type == TypeId::BigInt) {
    *out = Value::float64(static_cast<double>(v.i));
    return true;
  }
  if (to.id == TypeId::Timestamp && v.type == TypeId::String) {
    int64_t ms;
    std::string_view err;
    if (!parse_iso8601_millis(v.s, &ms, &err)) return false;
    *out = Value::timestamp(ms);
    return true;
  }
  return false;
}
}  // namespace

BoundExprPtr coerce(BoundExprPtr e, const TypePtr& to) {
  if (!e || !to || type_equals(*e->type, *to)) return e;
  if (e->is_constant()) {
    Value folded;
    if (cast_constant(e->value, *to, &folded)) {
      auto c = make_constant(folded, e->span);
      c->type = to;
      return c;
    }
  }
  return make_cast(std::move(e), to);
}

TypePtr resolve_type(const ast::TypeSyntax& t, DiagnosticEngine& diags) {
  using K = ast::TypeSyntax::Kind;
  if (t.kind == K::Array) {
    if (!t.element) return nullptr;
    TypePtr el = resolve_type(*t.element, diags);
    return el ? Type::array(el) : nullptr;
  }
  if (t.kind == K::Row) {
    std::vector<Field> fields;
    std::set<std::string> seen;  // case-folded: linear in the field count, which a 4 MiB script makes large
    bool ok = true;
    for (const auto& f : t.fields) {
      if (!f.type) return nullptr;
      TypePtr ft = resolve_type(*f.type, diags);
      if (!ft) ok = false;
      if (!seen.insert(lower(f.name.text)).second) {
        diags.report(DiagKind::DuplicateColumn, f.name.span, f.name.text);
        ok = false;
      }
      fields.push_back({f.name.text, ft, f.not_null});
    }
    return ok ? Type::row(std::move(fields)) : nullptr;
  }
  if (TypePtr p = primitive_type_from_name(t.name)) return p;
  std::string upper = t.name;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  if (upper == "DECIMAL" || upper == "NUMERIC" || upper == "DATE" || upper == "TIME" || upper == "MAP" ||
      upper == "BYTES" || upper == "BINARY" || upper == "VARBINARY") {
    auto& d = diags.report(DiagKind::UnsupportedType, t.span, t.name);
    d.hint = upper == "DECIMAL" || upper == "NUMERIC" ? "use DOUBLE"
             : upper == "DATE" || upper == "TIME"     ? "use TIMESTAMP"
                                                      : "use STRING (JSON text)";
    return nullptr;
  }
  std::vector<std::string> names = {"BOOLEAN", "BIGINT", "INT", "DOUBLE", "STRING", "VARCHAR", "TIMESTAMP",
                                    "ROW", "ARRAY", "FLOAT", "INTEGER"};
  auto& d = diags.report(DiagKind::UnknownType, t.span, t.name);
  std::string m = closest_match(upper, names);
  if (!m.empty()) d.hint = "did you mean '" + m + "'?";
  return nullptr;
}

std::optional<int64_t> interval_millis(const ast::Expr& e, DiagnosticEngine& diags) {
  int64_t amount = 0;
  const std::string& text = e.literal_text;
  auto r = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
    auto& d = diags.report(DiagKind::InvalidLiteral, e.span, "INTERVAL", text);
    d.hint = "the amount is a whole number: INTERVAL '5' " + (e.interval_unit.empty() ? "MINUTE" : e.interval_unit);
    return std::nullopt;
  }
  std::string unit = lower(e.interval_unit);
  if (!unit.empty() && unit.back() == 's') unit.pop_back();
  int64_t factor = 0;
  if (unit == "millisecond") factor = 1;
  else if (unit == "second") factor = 1000;
  else if (unit == "minute") factor = 60'000;
  else if (unit == "hour") factor = 3'600'000;
  else if (unit == "day") factor = 86'400'000;
  else if (unit == "week") factor = 7 * 86'400'000LL;
  if (factor == 0) {
    auto& d = diags.report(DiagKind::InvalidLiteral, e.unit_span.valid ? e.unit_span : e.span, "INTERVAL",
                           e.interval_unit);
    std::string m = closest_match(e.interval_unit, {"MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK"});
    d.hint = m.empty() ? "'" + e.interval_unit + "' is not a unit: use MILLISECOND, SECOND, MINUTE, HOUR, DAY or WEEK"
                       : "did you mean '" + m + "'?";
    return std::nullopt;
  }
  int64_t ms;
  if (__builtin_mul_overflow(amount, factor, &ms)) {
    diags.report(DiagKind::InvalidLiteral, e.span, "INTERVAL", text);
    return std::nullopt;
  }
  return ms;
}

// ---------------------------------------------------------------- scope index

ScopeIndex::ScopeIndex(const std::vector<ScopeColumn>& scope) : scope_(scope) {
  for (size_t i = 0; i < scope.size(); ++i) {
    exact_[scope[i].column.name].push_back(static_cast<int>(i));
    folded_[lower(scope[i].column.name)].push_back(static_cast<int>(i));
    relations_.insert(lower(scope[i].relation));
  }
}

const std::vector<int>& ScopeIndex::exact(const std::string& name) const {
  static const std::vector<int> none;
  auto it = exact_.find(name);
  return it == exact_.end() ? none : it->second;
}

const std::vector<int>& ScopeIndex::folded(const std::string& name) const {
  static const std::vector<int> none;
  auto it = folded_.find(lower(name));
  return it == folded_.end() ? none : it->second;
}

bool ScopeIndex::has_relation(const std::string& name) const { return relations_.count(lower(name)) > 0; }

// ---------------------------------------------------------------- binder

BoundExprPtr ExpressionBinder::bind(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Error: return nullptr;
    case ExprKind::Literal: return bind_literal(e);
    case ExprKind::Column: return bind_column(e);
    case ExprKind::FieldAccess: return bind_field_access(e);
    case ExprKind::Subscript: {
      auto& d = diags_.report(DiagKind::TypeMismatch, e.span, "array subscripts are not supported");
      d.hint = "use json_value(column, '$[0]') on the array";
      return nullptr;
    }
    case ExprKind::Unary: return bind_unary(e);
    case ExprKind::Binary: return bind_binary(e);
    case ExprKind::IsNull: {
      auto child = bind(*e.children[0]);
      if (!child) return nullptr;
      auto out = std::make_shared<BoundExpr>();
      out->kind = BoundKind::IsNull;
      out->type = Type::boolean();
      out->nullable = false;
      out->negated = e.negated;
      out->span = e.span;
      out->children.push_back(child);
      return out;
    }
    case ExprKind::IsBool: {
      auto child = require_boolean(bind(*e.children[0]), "IS TRUE/FALSE operand");
      if (!child) return nullptr;
      auto out = std::make_shared<BoundExpr>();
      out->kind = BoundKind::IsTrue;
      out->type = Type::boolean();
      out->nullable = false;
      out->negated = e.negated;
      out->bool_value = e.bool_value;
      out->span = e.span;
      out->children.push_back(child);
      return out;
    }
    case ExprKind::Between: {
      // x BETWEEN lo AND hi  ==  x >= lo AND x <= hi (x evaluated once: it is pure)
      auto x = bind(*e.children[0]);
      auto lo = bind(*e.children[1]);
      auto hi = bind(*e.children[2]);
      if (!x || !lo || !hi) return nullptr;
      auto ge = bind_comparison(Op::Ge, e.span, x, lo);
      auto le = bind_comparison(Op::Le, e.span, x, hi);
      if (!ge || !le) return nullptr;
      auto both = make_and({ge, le});
      both->span = e.span;
      if (!e.negated) return both;
      auto n = std::make_shared<BoundExpr>();
      n->kind = BoundKind::Not;
      n->type = Type::boolean();
      n->nullable = both->nullable;
      n->span = e.span;
      n->children.push_back(both);
      return n;
    }
    case ExprKind::In: {
      auto x = bind(*e.children[0]);
      if (!x) return nullptr;
      auto any = std::make_shared<BoundExpr>();
      any->kind = BoundKind::Or;
      any->type = Type::boolean();
      any->span = e.span;
      any->nullable = false;
      bool ok = true;
      for (size_t i = 1; i < e.children.size(); ++i) {
        auto item = bind(*e.children[i]);
        if (!item) { ok = false; continue; }
        auto eq = bind_comparison(Op::Eq, e.children[i]->span, x, item);
        if (!eq) { ok = false; continue; }
        any->nullable |= eq->nullable;
        any->children.push_back(eq);
      }
      if (!ok) return nullptr;
      BoundExprPtr result = any->children.size() == 1 ? any->children[0] : any;
      if (!e.negated) return result;
      auto n = std::make_shared<BoundExpr>();
      n->kind = BoundKind::Not;
      n->type = Type::boolean();
      n->nullable = result->nullable;
      n->span = e.span;
      n->children.push_back(result);
      return n;
    }
    case ExprKind::Like: {
      auto s = bind(*e.children[0]);
      auto p = bind(*e.children[1]);
      if (!s || !p) return nullptr;
      const ScalarFunction* like = FunctionCatalogue::instance().find("like");
      if (!like) {
        diags_.report(DiagKind::UnknownFunction, e.span, "like");
        return nullptr;
      }
      auto r = call(*like, {s, p}, e.span, e.span);
      if (!r || !e.negated) return r;
      auto n = std::make_shared<BoundExpr>();
      n->kind = BoundKind::Not;
      n->type = Type::boolean();
      n->nullable = r->nullable;
      n->span = e.span;
      n->children.push_back(r);
      return n;
    }
    case ExprKind::Case: return bind_case(e);
    case ExprKind::Cast: return bind_cast(e);
    case ExprKind::Call: return bind_call(e);
  }
  return nullptr;
}

BoundExprPtr ExpressionBinder::require_boolean(BoundExprPtr e, const char* what) {
  if (!e) return nullptr;
  if (e->type->id == TypeId::Null) return coerce(e, Type::boolean());
  if (e->type->id != TypeId::Boolean) {
    diags_.report(DiagKind::NotBoolean, e->span, what, e->type->to_string());
    return nullptr;
  }
  return e;
}

BoundExprPtr ExpressionBinder::bind_condition(const Expr& e, const char* what) {
  return require_boolean(bind(e), what);
}

BoundExprPtr ExpressionBinder::bind_literal(const Expr& e) {
  switch (e.literal_kind) {
    case LiteralKind::Null: return make_constant(Value::null(), e.span);
    case LiteralKind::Boolean: return make_constant(Value::boolean(e.literal_text == "true"), e.span);
    case LiteralKind::String: return make_constant(Value::string(e.literal_text), e.span);
    case LiteralKind::Integer: {
      int64_t v;
      auto r = std::from_chars(e.literal_text.data(), e.literal_text.data() + e.literal_text.size(), v);
      if (r.ec != std::errc() || r.ptr != e.literal_text.data() + e.literal_text.size()) {
        auto& d = diags_.report(DiagKind::InvalidLiteral, e.span, "BIGINT", e.literal_text);
        d.hint = "BIGINT holds -9223372036854775808..9223372036854775807; write a DOUBLE like 1e20";
        return nullptr;
      }
      return make_constant(Value::bigint(v), e.span);
    }
    case LiteralKind::Decimal: {
      double v = 0;
      auto r = std::from_chars(e.literal_text.data(), e.literal_text.data() + e.literal_text.size(), v);
      if (r.ec != std::errc() || !std::isfinite(v)) {
        diags_.report(DiagKind::InvalidLiteral, e.span, "DOUBLE", e.literal_text);
        return nullptr;
      }
      return make_constant(Value::float64(v), e.span);
    }
    case LiteralKind::Interval: {
      auto ms = interval_millis(e, diags_);
      if (!ms) return nullptr;
      return make_constant(Value::interval(*ms), e.span);
    }
    case LiteralKind::Timestamp: {
      int64_t ms;
      std::string_view err;
      if (!parse_iso8601_millis(e.literal_text, &ms, &err)) {
        auto& d = diags_.report(DiagKind::InvalidLiteral, e.span, "TIMESTAMP", e.literal_text);
        d.hint = std::string(err) + "; write e.g. TIMESTAMP '2024-01-31 12:00:00'";
        return nullptr;
      }
      return make_constant(Value::timestamp(ms), e.span);
    }
  }
  return nullptr;
}

BoundExprPtr ExpressionBinder::bind_column(const Expr& e) {
  if (allow_window_columns && (iequals(e.name, "window_start") || iequals(e.name, "window_end"))) {
    auto w = std::make_shared<BoundExpr>();
    w->kind = iequals(e.name, "window_start") ? BoundKind::WindowStart : BoundKind::WindowEnd;
    w->type = Type::timestamp();
    w->nullable = false;
    w->span = e.span;
    return w;
  }
  // Exact name first, then case-insensitive (SQL identifiers fold).
  const ScopeIndex* ix = index && &index->scope() == &scope_ ? index : nullptr;
  for (bool exact : {true, false}) {
    int found = -1;
    std::vector<int> all;
    if (!ix) {
      for (size_t i = 0; i < scope_.size(); ++i)
        if (exact ? scope_[i].column.name == e.name : iequals(scope_[i].column.name, e.name))
          all.push_back(static_cast<int>(i));
    }
    for (int i : ix ? (exact ? ix->exact(e.name) : ix->folded(e.name)) : all) {
      {
        if (found >= 0 && scope_[found].relation != scope_[i].relation) {
          auto& d = diags_.report(DiagKind::AmbiguousColumn, e.span, e.name);
          d.hint = "qualify it: " + scope_[found].relation + "." + e.name + " or " + scope_[i].relation + "." + e.name;
          return nullptr;
        }
        if (found < 0) found = static_cast<int>(i);
      }
    }
    if (found >= 0) {
      const auto& c = scope_[found].column;
      return make_column(found, c.name, c.type, !c.not_null, e.span);
    }
  }
  if (broken_names && broken_names->size()) {
    // The column may belong to a definition that failed to parse.
    return nullptr;
  }
  std::vector<std::string> names;
  if (diags_.wants_suggestions())
    for (const auto& sc : scope_) names.push_back(sc.column.name);
  if (allow_window_columns) {
    names.push_back("window_start");
    names.push_back("window_end");
  }
  auto& d = diags_.report(DiagKind::UnknownColumn, e.span, e.name);
  std::string m = closest_match(e.name, names);
  if (!m.empty()) d.hint = "did you mean '" + m + "'?";
  return nullptr;
}

BoundExprPtr ExpressionBinder::bind_field_access(const Expr& e) {
  // `q.col` where q names a relation in scope (and no column is called q).
  const Expr& base = *e.children[0];
  if (base.kind == ExprKind::Column) {
    const ScopeIndex* ix = index && &index->scope() == &scope_ ? index : nullptr;
    bool is_column = ix ? !ix->folded(base.name).empty()
                        : std::any_of(scope_.begin(), scope_.end(),
                                      [&](const ScopeColumn& c) { return iequals(c.column.name, base.name); });
    bool is_relation = ix ? ix->has_relation(base.name)
                          : std::any_of(scope_.begin(), scope_.end(),
                                        [&](const ScopeColumn& c) { return iequals(c.relation, base.name); });
    if (is_relation && !is_column) {
      if (ix) {
        for (int i : ix->folded(e.name))
          if (iequals(scope_[i].relation, base.name)) {
            const auto& c = scope_[i].column;
            return make_column(i, c.name, c.type, !c.not_null, e.span);
          }
      } else {
        for (size_t i = 0; i < scope_.size(); ++i) {
          if (iequals(scope_[i].relation, base.name) && iequals(scope_[i].column.name, e.name)) {
            const auto& c = scope_[i].column;
            return make_column(static_cast<int>(i), c.name, c.type, !c.not_null, e.span);
          }
        }
      }
      auto& d = diags_.report(DiagKind::UnknownColumn, e.name_span, base.name + "." + e.name);
      std::vector<std::string> names;
      if (diags_.wants_suggestions())
        for (const auto& sc : scope_)
          if (iequals(sc.relation, base.name)) names.push_back(sc.column.name);
      std::string m = closest_match(e.name, names);
      if (!m.empty()) d.hint = "did you mean '" + base.name + "." + m + "'?";
      return nullptr;
    }
  }
  auto inner = bind(base);
  if (!inner) return nullptr;
  if (inner->type->id != TypeId::Row) {
    auto& d = diags_.report(DiagKind::UnknownField, e.name_span, to_sql(*inner), e.name);
    d.hint = to_sql(*inner) + " is " + inner->type->to_string() + ", not a ROW";
    return nullptr;
  }
  const Field* f = inner->type->find_field(e.name);
  if (!f) {
    std::vector<std::string> names;
    if (diags_.wants_suggestions())
      for (const auto& fld : inner->type->fields) names.push_back(fld.name);
    auto& d = diags_.report(DiagKind::UnknownField, e.name_span, to_sql(*inner), e.name);
    std::string m = closest_match(e.name, names);
    if (!m.empty()) d.hint = "did you mean '" + m + "'?";
    return nullptr;
  }
  // Collapse a.b.c into one FieldAccess over the base column.
  auto out = std::make_shared<BoundExpr>();
  out->kind = BoundKind::FieldAccess;
  out->type = f->type;
  out->nullable = inner->nullable || !f->not_null;
  out->span = e.span;
  if (inner->kind == BoundKind::FieldAccess) {
    out->children = inner->children;
    out->field_path = inner->field_path;
  } else {
    out->children.push_back(inner);
  }
  out->field_path.push_back(f->name);
  out->name = out->children[0]->name;
  for (const auto& p : out->field_path) out->name += "." + p;
  return out;
}

BoundExprPtr ExpressionBinder::bind_unary(const Expr& e) {
  auto child = bind(*e.children[0]);
  if (!child) return nullptr;
  if (e.op == Op::Not) {
    child = require_boolean(child, "NOT operand");
    if (!child) return nullptr;
    auto n = std::make_shared<BoundExpr>();
    n->kind = BoundKind::Not;
    n->type = Type::boolean();
    n->nullable = child->nullable;
    n->span = e.span;
    n->children.push_back(child);
    return n;
  }
  if (!child->type->is_numeric() && child->type->id != TypeId::Interval && child->type->id != TypeId::Null) {
    diags_.report(DiagKind::TypeMismatch, e.span,
                  fmt::format("cannot apply unary {} to {}", ast::op_spelling(e.op), child->type->to_string()));
    return nullptr;
  }
  if (e.op == Op::Plus) return child;
  auto n = std::make_shared<BoundExpr>();
  n->kind = BoundKind::Negate;
  n->type = child->type->id == TypeId::Null ? Type::bigint() : child->type;
  n->nullable = true;  // -BIGINT_MIN overflows to NULL
  n->span = e.span;
  n->children.push_back(coerce(child, n->type));
  return n;
}

BoundExprPtr ExpressionBinder::bind_binary(const Expr& e) {
  auto l = bind(*e.children[0]);
  auto r = bind(*e.children[1]);
  if (!l || !r) return nullptr;
  switch (e.op) {
    case Op::And:
    case Op::Or: {
      l = require_boolean(l, e.op == Op::And ? "AND operand" : "OR operand");
      r = require_boolean(r, e.op == Op::And ? "AND operand" : "OR operand");
      if (!l || !r) return nullptr;
      auto out = std::make_shared<BoundExpr>();
      out->kind = e.op == Op::And ? BoundKind::And : BoundKind::Or;
      out->type = Type::boolean();
      out->nullable = l->nullable || r->nullable;
      out->span = e.span;
      // Flatten nested chains of the same connective.
      for (auto& side : {l, r}) {
        if (side->kind == out->kind) {
          for (auto& c : side->children) out->children.push_back(c);
        } else {
          out->children.push_back(side);
        }
      }
      return out;
    }
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: return bind_comparison(e.op, e.span, l, r);
    default: return bind_arithmetic(e, l, r);
  }
}

BoundExprPtr ExpressionBinder::bind_comparison(Op op, Span span, BoundExprPtr l, BoundExprPtr r) {
  TypePtr t = common_type(*l, *r);
  if (!t || t->is_nested()) {
    auto& d = diags_.report(DiagKind::TypeMismatch, span,
                            fmt::format("cannot compare {} with {}", l->type->to_string(), r->type->to_string()));
    if (l->type->id == TypeId::String && r->type->is_numeric())
      d.hint = "cast one side: CAST(" + to_sql(*l) + " AS " + r->type->to_string() + ")";
    else if (r->type->id == TypeId::String && l->type->is_numeric())
      d.hint = "cast one side: CAST(" + to_sql(*r) + " AS " + l->type->to_string() + ")";
    return nullptr;
  }
  if (t->id == TypeId::Null) t = Type::boolean();
  auto out = std::make_shared<BoundExpr>();
  out->kind = BoundKind::Compare;
  out->op = op;
  out->type = Type::boolean();
  out->span = span;
  out->children.push_back(coerce(l, t));
  out->children.push_back(coerce(r, t));
  out->nullable = out->children[0]->nullable || out->children[1]->nullable;
  return out;
}

BoundExprPtr ExpressionBinder::bind_arithmetic(const Expr& e, BoundExprPtr l, BoundExprPtr r) {
  const TypeId a = l->type->id, b = r->type->id;
  auto fail = [&]() -> BoundExprPtr {
    auto& d = diags_.report(DiagKind::TypeMismatch, e.span,
                            fmt::format("cannot apply {} to {} and {}", ast::op_spelling(e.op),
                                        l->type->to_string(), r->type->to_string()));
    if (e.op == Op::Add && (a == TypeId::String || b == TypeId::String)) d.hint = "use || to concatenate strings";
    return nullptr;
  };
  TypePtr result;
  TypePtr lt, rt;  // operand types after coercion
  if (e.op == Op::Concat) {
    // Any scalar renders as text in ||.
    if (l->type->is_nested() || r->type->is_nested()) return fail();
    result = lt = rt = Type::string();
  } else if ((l->type->is_numeric() || a == TypeId::Null) && (r->type->is_numeric() || b == TypeId::Null)) {
    bool any_double = a == TypeId::Double || b == TypeId::Double;
    // '/' always divides as DOUBLE (DuckDB semantics): 7 / 2 = 3.5.
    result = any_double || e.op == Op::Div ? Type::float64() : Type::bigint();
    lt = rt = result;
  } else if (a == TypeId::Timestamp && b == TypeId::Interval && (e.op == Op::Add || e.op == Op::Sub)) {
    result = lt = Type::timestamp();
    rt = Type::interval();
  } else if (a == TypeId::Interval && b == TypeId::Timestamp && e.op == Op::Add) {
    std::swap(l, r);
    result = lt = Type::timestamp();
    rt = Type::interval();
  } else if (a == TypeId::Timestamp && b == TypeId::Timestamp && e.op == Op::Sub) {
    result = Type::interval();
    lt = rt = Type::timestamp();
  } else if (a == TypeId::Interval && b == TypeId::Interval && (e.op == Op::Add || e.op == Op::Sub)) {
    result = lt = rt = Type::interval();
  } else if (a == TypeId::Interval && b == TypeId::BigInt && (e.op == Op::Mul || e.op == Op::Div)) {
    result = lt = Type::interval();
    rt = Type::bigint();
  } else {
    return fail();
  }
  auto out = std::make_shared<BoundExpr>();
  out->kind = BoundKind::Arithmetic;
  out->op = e.op;
  out->type = result;
  out->span = e.span;
  out->nullable = true;  // overflow and division by zero yield NULL
  if (e.op == Op::Concat) out->nullable = l->nullable || r->nullable;
  out->children.push_back(coerce(l, lt));
  out->children.push_back(coerce(r, rt));
  return out;
}

BoundExprPtr ExpressionBinder::bind_case(const Expr& e) {
  BoundExprPtr operand;
  if (e.case_operand) {
    operand = bind(*e.case_operand);
    if (!operand) return nullptr;
  }
  std::vector<BoundExprPtr> conds, results;
  bool ok = true;
  for (const auto& [w, t] : e.whens) {
    BoundExprPtr c;
    if (!w || !t) { ok = false; continue; }
    if (operand) {
      auto v = bind(*w);
      c = v ? bind_comparison(Op::Eq, w->span, operand, v) : nullptr;
    } else {
      c = bind_condition(*w, "WHEN condition");
    }
    auto r = bind(*t);
    if (!c || !r) { ok = false; continue; }
    conds.push_back(c);
    results.push_back(r);
  }
  BoundExprPtr otherwise;
  if (e.case_else) {
    otherwise = bind(*e.case_else);
    if (!otherwise) ok = false;
  }
  if (!ok || results.empty()) return nullptr;
  // Result type: the common type of all branches.
  BoundExprPtr acc = results[0];
  TypePtr t = results[0]->type;
  auto all = results;
  if (otherwise) all.push_back(otherwise);
  for (size_t i = 1; i < all.size(); ++i) {
    BoundExpr probe;
    probe.type = t;
    TypePtr next = common_type(probe, *all[i]);
    if (!next) {
      diags_.report(DiagKind::TypeMismatch, all[i]->span,
                    fmt::format("CASE branches have incompatible types {} and {}", t->to_string(),
                                all[i]->type->to_string()));
      return nullptr;
    }
    t = next;
  }
  auto out = std::make_shared<BoundExpr>();
  out->kind = BoundKind::Case;
  out->type = t;  // all-NULL branches stay NULL-typed and coerce to their context
  out->span = e.span;
  out->nullable = !otherwise;
  for (size_t i = 0; i < conds.size(); ++i) {
    out->children.push_back(conds[i]);
    out->children.push_back(coerce(results[i], out->type));
    out->nullable |= results[i]->nullable;
  }
  if (otherwise) {
    out->has_else = true;
    out->nullable |= otherwise->nullable;
    out->children.push_back(coerce(otherwise, out->type));
  }
  return out;
}

BoundExprPtr ExpressionBinder::bind_cast(const Expr& e) {
  auto child = bind(*e.children[0]);
  if (!child || !e.cast_type) return nullptr;
  TypePtr to = resolve_type(*e.cast_type, diags_);
  if (!to) return nullptr;
  if (!can_cast_explicitly(*child->type, *to)) {
    diags_.report(DiagKind::InvalidCast, e.span, child->type->to_string(), to->to_string());
    return nullptr;
  }
  if (type_equals(*child->type, *to)) return child;
  auto c = make_cast(child, to);
  c->span = e.span;
  return c;
}

BoundExprPtr ExpressionBinder::bind_call(const Expr& e) {
  std::string name = lower(e.name);
  if (name == "count" || name == "sum" || name == "avg" || name == "min" || name == "max")
    return bind_aggregate(e);
  if (name == "tumble" || name == "hop" || name == "session") {
    auto& d = diags_.report(DiagKind::InvalidWindow, e.span, name + "() may only appear in GROUP BY");
    d.hint = "GROUP BY " + name + "(ts, INTERVAL '1' MINUTE), ... and select window_start / window_end";
    return nullptr;
  }
  if (name == "secret") {
    // secret() values may only reach keyed functions, never the output.
    diags_.report(DiagKind::SecretOutsideOptions, e.span,
                  " or as the key argument of hash_pii(); here it would leak into the output");
    return nullptr;
  }
  const ScalarFunction* fn = FunctionCatalogue::instance().find(name);
  if (!fn) {
    auto& d = diags_.report(DiagKind::UnknownFunction, e.name_span.valid ? e.name_span : e.span, e.name);
    std::string m = closest_match(name, FunctionCatalogue::instance().names());
    d.hint = m.empty() ? "`pipec functions` lists them all" : "did you mean '" + m + "'?";
    return nullptr;
  }
  if (e.star || e.distinct) {
    diags_.report(DiagKind::NoMatchingOverload, e.span, fn->name, e.star ? "*" : "DISTINCT ...");
    return nullptr;
  }
  std::vector<BoundExprPtr> args;
  bool ok = true;
  for (size_t i = 0; i < e.children.size(); ++i) {
    const Expr& a = *e.children[i];
    // hash_pii(value, secret('KEY')): the key is read from the environment at run time.
    if (fn->name == "hash_pii" && i == 1 && a.kind == ExprKind::Call && iequals(a.name, "secret") &&
        a.children.size() == 1 && a.children[0]->kind == ExprKind::Literal &&
        a.children[0]->literal_kind == LiteralKind::String) {
      auto s = std::make_shared<BoundExpr>();
      s->kind = BoundKind::Secret;
      s->name = a.children[0]->literal_text;
      s->type = Type::string();
      s->nullable = false;
      s->span = a.span;
      args.push_back(s);
      continue;
    }
    auto b = bind(a);
    if (!b) ok = false;
    args.push_back(b);
  }
  if (!ok) return nullptr;
  return call(*fn, std::move(args), e.span, e.name_span);
}

BoundExprPtr ExpressionBinder::call(const ScalarFunction& fn, std::vector<BoundExprPtr> args, Span span,
                                    Span name_span) {
  // Overload resolution: exact matches win, then the fewest implicit casts.
  const FunctionOverload* best = nullptr;
  int best_cost = 1 << 30;
  for (const auto& o : fn.overloads) {
    if (o.variadic ? args.size() < o.args.size() - 1 : args.size() != o.args.size()) continue;
    int cost = 0;
    bool ok = true;
    for (size_t i = 0; i < args.size() && ok; ++i) {
      TypeId want = i < o.args.size() ? o.args[i] : o.args.back();
      if (args[i]->type->id == want) continue;
      // Nested values are carried as JSON text, so they pass as STRING.
      if (want == TypeId::String && args[i]->type->is_nested()) { cost += 1; continue; }
      if (can_cast_implicitly(*args[i], want)) cost += args[i]->type->id == TypeId::Null ? 1 : 2;
      else ok = false;
    }
    if (ok && cost < best_cost) {
      best = &o;
      best_cost = cost;
    }
  }
  if (!best) {
    auto& d = diags_.report(DiagKind::NoMatchingOverload, span, fn.name, type_list(args));
    std::string sigs;
    for (const auto& o : fn.overloads) {
      if (!sigs.empty()) sigs += ", ";
      sigs += signature_text(fn, o);
    }
    d.hint = "candidates: " + sigs;
    return nullptr;
  }
  // Constant arguments with a language of their own (regexes, formats, units,
  // JSON paths) are checked now, so a typo is a diagnostic, not NULLs in production.
  struct ArgumentCheck {
    const char* function;
    size_t arg;
    const char* what;
    bool (*valid)(std::string_view, std::string*);
  };
  static const ArgumentCheck checks[] = {
      {"regexp_match", 1, "regular expression", &stdlib_validate_regex},
      {"regexp_extract", 1, "regular expression", &stdlib_validate_regex},
      {"regexp_replace", 1, "regular expression", &stdlib_validate_regex},
      {"to_timestamp", 1, "timestamp format", &stdlib_validate_timestamp_format},
      {"format_timestamp", 1, "timestamp format", &stdlib_validate_timestamp_format},
      {"date_trunc", 0, "unit", [](std::string_view u, std::string* e) { return stdlib_validate_time_unit(u, false, e); }},
      {"extract", 0, "unit", [](std::string_view u, std::string* e) { return stdlib_validate_time_unit(u, true, e); }},
      {"json_value", 1, "JSON path", &stdlib_validate_json_path},
  };
  for (const auto& c : checks) {
    if (fn.name != c.function || c.arg >= args.size()) continue;
    const BoundExpr& a = *args[c.arg];
    if (!a.is_constant() || a.value.is_null || a.value.type != TypeId::String) continue;
    std::string error;
    if (!c.valid(a.value.s, &error)) {
      diags_.report(DiagKind::InvalidFunctionArgument, a.span, c.what, fn.name, error);
      return nullptr;
    }
  }
  auto out = std::make_shared<BoundExpr>();
  out->kind = BoundKind::Call;
  out->function = &fn;
  out->overload = best;
  out->type = type_of(best->result);
  out->span = span;
  out->nullable = true;  // library functions may return NULL on bad input
  for (size_t i = 0; i < args.size(); ++i) {
    TypeId want = i < best->args.size() ? best->args[i] : best->args.back();
    if (want == TypeId::String && args[i]->type->is_nested()) {
      out->children.push_back(args[i]);  // JSON text already
    } else {
      out->children.push_back(coerce(args[i], type_of(want)));
    }
  }
  return out;
}

BoundExprPtr ExpressionBinder::bind_aggregate(const Expr& e) {
  std::string name = lower(e.name);
  if (!aggregates) {
    auto& d = diags_.report(DiagKind::AggregateNotAllowed, e.span, name, clause_);
    if (clause_ == "WHERE") d.hint = "filter on aggregates with HAVING";
    else if (clause_ == "SELECT") d.hint = "aggregate over a window: GROUP BY key, TUMBLE(ts, INTERVAL '1' MINUTE)";
    return nullptr;
  }
  if (inside_aggregate_) {
    diags_.report(DiagKind::AggregateNotAllowed, e.span, name, "another aggregate");
    return nullptr;
  }
  auto out = std::make_shared<BoundExpr>();
  out->kind = BoundKind::Aggregate;
  out->span = e.span;
  if (name == "count" && e.star) {
    out->aggregate = AggregateKind::CountStar;
    out->type = Type::bigint();
    out->nullable = false;
  } else {
    if (e.children.size() != 1) {
      diags_.report(DiagKind::NoMatchingOverload, e.span, name,
                    e.children.empty() ? std::string() : std::to_string(e.children.size()) + " arguments");
      return nullptr;
    }
    inside_aggregate_ = true;
    auto arg = bind(*e.children[0]);
    inside_aggregate_ = false;
    if (!arg) return nullptr;
    TypeId t = arg->type->id;
    if (name == "count") {
      out->aggregate = e.distinct ? AggregateKind::CountDistinct : AggregateKind::Count;
      out->type = Type::bigint();
      out->nullable = false;
    } else if (name == "sum" || name == "avg") {
      if (!arg->type->is_numeric()) {
        diags_.report(DiagKind::NoMatchingOverload, e.span, name, arg->type->to_string());
        return nullptr;
      }
      out->aggregate = name == "sum" ? AggregateKind::Sum : AggregateKind::Avg;
      out->type = name == "avg" ? Type::float64() : arg->type;
    } else {
      if (arg->type->is_nested() || t == TypeId::Null) {
        diags_.report(DiagKind::NoMatchingOverload, e.span, name, arg->type->to_string());
        return nullptr;
      }
      out->aggregate = name == "min" ? AggregateKind::Min : AggregateKind::Max;
      out->type = arg->type;
    }
    out->children.push_back(arg);
  }
  // Identical aggregates share one accumulator.
  for (size_t i = 0; i < aggregates->size(); ++i)
    if (same_expr(*(*aggregates)[i], *out)) return (*aggregates)[i];
  aggregates->push_back(out);
  return out;
}

}  // namespace pipec
