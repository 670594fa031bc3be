#include "compiler/bind/bound_expr.h"

#include <algorithm>
#include <functional>
#include <set>

namespace pipec {

const char* aggregate_name(AggregateKind k) {
  switch (k) {
    case AggregateKind::CountStar: return "count";
    case AggregateKind::Count: return "count";
    case AggregateKind::CountDistinct: return "count";
    case AggregateKind::Sum: return "sum";
    case AggregateKind::Avg: return "avg";
    case AggregateKind::Min: return "min";
    case AggregateKind::Max: return "max";
  }
  return "?";
}

BoundExprPtr make_constant(Value v, Span span) {
  auto e = std::make_shared<BoundExpr>();
  e->kind = BoundKind::Constant;
  switch (v.type) {
    case TypeId::Null: e->type = Type::null(); break;
    case TypeId::Boolean: e->type = Type::boolean(); break;
    case TypeId::BigInt: e->type = Type::bigint(); break;
    case TypeId::Double: e->type = Type::float64(); break;
    case TypeId::Timestamp: e->type = Type::timestamp(); break;
    case TypeId::Interval: e->type = Type::interval(); break;
    default: e->type = Type::string(); break;
  }
  e->nullable = v.is_null;
  e->value = std::move(v);
  e->span = span;
  return e;
}

BoundExprPtr make_column(int index, std::string name, TypePtr type, bool nullable, Span span) {
  auto e = std::make_shared<BoundExpr>();
  e->kind = BoundKind::Column;
  e->column = index;
  e->name = std::move(name);
  e->type = std::move(type);
  e->nullable = nullable;
  e->span = span;
  return e;
}

BoundExprPtr make_cast(BoundExprPtr child, TypePtr to) {
  auto e = std::make_shared<BoundExpr>();
  e->kind = BoundKind::Cast;
  e->type = std::move(to);
  e->span = child->span;
  // Casts from STRING can fail (-> NULL); widening casts keep nullability.
  e->nullable = child->nullable || child->type->id == TypeId::String ||
                (child->type->id == TypeId::Double && e->type->id == TypeId::BigInt);
  e->children.push_back(std::move(child));
  return e;
}

BoundExprPtr make_and(std::vector<BoundExprPtr> terms) {
  if (terms.empty()) return make_constant(Value::boolean(true));
  if (terms.size() == 1) return terms[0];
  auto e = std::make_shared<BoundExpr>();
  e->kind = BoundKind::And;
  e->type = Type::boolean();
  e->nullable = std::any_of(terms.begin(), terms.end(), [](const auto& t) { return t->nullable; });
  e->span = terms.front()->span.to(terms.back()->span);
  for (auto& t : terms) {
    if (t->kind == BoundKind::And) {
      for (auto& c : t->children) e->children.push_back(c);
    } else {
      e->children.push_back(std::move(t));
    }
  }
  return e;
}

namespace {
std::string quote_ident(const std::string& name) {
  bool plain = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
  if (plain) return name;
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += "``";
    else out.push_back(c);
  }
  return out + "`";
}

std::string joined(const BoundExpr& e, const char* sep) {
  std::string out;
  for (size_t i = 0; i < e.children.size(); ++i) {
    if (i) out += sep;
    const BoundExpr& c = *e.children[i];
    bool paren = c.kind == BoundKind::And || c.kind == BoundKind::Or;
    out += paren ? "(" + to_sql(c) + ")" : to_sql(c);
  }
  return out;
}

std::string operand(const BoundExpr& e) {
  switch (e.kind) {
    case BoundKind::Arithmetic:
    case BoundKind::Compare:
    case BoundKind::And:
    case BoundKind::Or:
    case BoundKind::IsNull:
    case BoundKind::IsTrue:
    case BoundKind::Not: return "(" + to_sql(e) + ")";
    default: return to_sql(e);
  }
}
}  // namespace

std::string to_sql(const BoundExpr& e) {
  switch (e.kind) {
    case BoundKind::Constant: return e.value.to_sql();
    case BoundKind::Column: return quote_ident(e.name);
    case BoundKind::FieldAccess: {
      std::string out = operand(*e.children[0]);
      for (const auto& f : e.field_path) out += "." + quote_ident(f);
      return out;
    }
    case BoundKind::Cast: return "CAST(" + to_sql(*e.children[0]) + " AS " + e.type->to_string() + ")";
    case BoundKind::Negate: return "-" + operand(*e.children[0]);
    case BoundKind::Not: return "NOT " + operand(*e.children[0]);
    case BoundKind::Arithmetic:
    case BoundKind::Compare:
      return operand(*e.children[0]) + " " + ast::op_spelling(e.op) + " " + operand(*e.children[1]);
    case BoundKind::And: return joined(e, " AND ");
    case BoundKind::Or: return joined(e, " OR ");
    case BoundKind::IsNull: return operand(*e.children[0]) + (e.negated ? " IS NOT NULL" : " IS NULL");
    case BoundKind::IsTrue:
      return operand(*e.children[0]) + (e.negated ? " IS NOT " : " IS ") + (e.bool_value ? "TRUE" : "FALSE");
    case BoundKind::Case: {
      std::string out = "CASE";
      size_t pairs = (e.children.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i)
        out += " WHEN " + to_sql(*e.children[2 * i]) + " THEN " + to_sql(*e.children[2 * i + 1]);
      if (e.has_else) out += " ELSE " + to_sql(*e.children.back());
      return out + " END";
    }
    case BoundKind::Call: return (e.function ? e.function->name : "?") + "(" + joined(e, ", ") + ")";
    case BoundKind::Secret: return "secret('" + e.name + "')";
    case BoundKind::Aggregate:
      if (e.aggregate == AggregateKind::CountStar) return "count(*)";
      return std::string(aggregate_name(e.aggregate)) + "(" +
             (e.aggregate == AggregateKind::CountDistinct ? "DISTINCT " : "") + joined(e, ", ") + ")";
    case BoundKind::WindowStart: return "window_start";
    case BoundKind::WindowEnd: return "window_end";
  }
  return "?";
}

size_t hash_expr(const BoundExpr& e) {
  size_t h = std::hash<int>()(static_cast<int>(e.kind));
  auto mix = [&](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(std::hash<std::string>()(e.type ? e.type->to_string() : ""));
  mix(std::hash<std::string>()(to_sql(e)));
  mix(static_cast<size_t>(e.column));
  return h;
}

bool same_expr(const BoundExpr& a, const BoundExpr& b) {
  if (a.kind != b.kind || a.column != b.column || a.op != b.op || a.negated != b.negated ||
      a.bool_value != b.bool_value || a.overload != b.overload || a.aggregate != b.aggregate ||
      a.field_path != b.field_path || a.children.size() != b.children.size())
    return false;
  if (a.type && b.type && !type_equals(*a.type, *b.type)) return false;
  if (a.kind == BoundKind::Constant && !a.value.identical(b.value)) return false;
  if (a.kind == BoundKind::Secret && a.name != b.name) return false;
  for (size_t i = 0; i < a.children.size(); ++i)
    if (!same_expr(*a.children[i], *b.children[i])) return false;
  return true;
}

BoundExprPtr rewrite_expr(const BoundExprPtr& e, const std::function<BoundExprPtr(const BoundExprPtr&)>& f) {
  auto copy = std::make_shared<BoundExpr>(*e);
  for (auto& c : copy->children) c = rewrite_expr(c, f);
  BoundExprPtr replaced = f(copy);
  return replaced ? replaced : copy;
}

bool contains_kind(const BoundExpr& e, BoundKind kind) {
  bool found = false;
  visit_expr(e, [&](const BoundExpr& n) { found |= n.kind == kind; });
  return found;
}

std::vector<int> referenced_columns(const BoundExpr& e) {
  std::set<int> cols;
  visit_expr(e, [&](const BoundExpr& n) {
    if (n.kind == BoundKind::Column) cols.insert(n.column);
  });
  return {cols.begin(), cols.end()};
}

}  // namespace pipec
