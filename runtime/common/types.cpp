#include "runtime/common/types.h"

#include <algorithm>
#include <cctype>

namespace pipec {

namespace {
TypePtr make(TypeId id) {
  auto t = std::make_shared<Type>();
  t->id = id;
  return t;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

TypePtr Type::null() { static const TypePtr t = make(TypeId::Null); return t; }
TypePtr Type::boolean() { static const TypePtr t = make(TypeId::Boolean); return t; }
TypePtr Type::bigint() { static const TypePtr t = make(TypeId::BigInt); return t; }
TypePtr Type::float64() { static const TypePtr t = make(TypeId::Double); return t; }
TypePtr Type::string() { static const TypePtr t = make(TypeId::String); return t; }
TypePtr Type::timestamp() { static const TypePtr t = make(TypeId::Timestamp); return t; }
TypePtr Type::interval() { static const TypePtr t = make(TypeId::Interval); return t; }

TypePtr Type::row(std::vector<Field> fields) {
  auto t = std::make_shared<Type>();
  t->id = TypeId::Row;
  t->fields = std::move(fields);
  return t;
}

TypePtr Type::array(TypePtr element) {
  auto t = std::make_shared<Type>();
  t->id = TypeId::Array;
  t->element = std::move(element);
  return t;
}

PhysicalType Type::physical() const {
  switch (id) {
    case TypeId::Boolean: return PhysicalType::Bool;
    case TypeId::Null:
    case TypeId::BigInt:
    case TypeId::Timestamp:
    case TypeId::Interval: return PhysicalType::Int64;
    case TypeId::Double: return PhysicalType::Float64;
    case TypeId::String:
    case TypeId::Row:
    case TypeId::Array: return PhysicalType::String;
  }
  return PhysicalType::Int64;
}

std::string_view type_id_name(TypeId id) {
  switch (id) {
    case TypeId::Null: return "NULL";
    case TypeId::Boolean: return "BOOLEAN";
    case TypeId::BigInt: return "BIGINT";
    case TypeId::Double: return "DOUBLE";
    case TypeId::String: return "STRING";
    case TypeId::Timestamp: return "TIMESTAMP";
    case TypeId::Interval: return "INTERVAL";
    case TypeId::Row: return "ROW";
    case TypeId::Array: return "ARRAY";
  }
  return "?";
}

std::string Type::to_string() const {
  if (id == TypeId::Row) {
    std::string s = "ROW<";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) s += ", ";
      s += fields[i].name + " " + fields[i].type->to_string();
      if (fields[i].not_null) s += " NOT NULL";
    }
    return s + ">";
  }
  if (id == TypeId::Array) return "ARRAY<" + element->to_string() + ">";
  return std::string(type_id_name(id));
}

const Field* Type::find_field(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  for (const auto& f : fields)
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

bool type_equals(const Type& a, const Type& b) {
  if (a.id != b.id) return false;
  if (a.id == TypeId::Array) return type_equals(*a.element, *b.element);
  if (a.id == TypeId::Row) {
    if (a.fields.size() != b.fields.size()) return false;
    for (size_t i = 0; i < a.fields.size(); ++i) {
      if (a.fields[i].name != b.fields[i].name ||
          a.fields[i].not_null != b.fields[i].not_null ||
          !type_equals(*a.fields[i].type, *b.fields[i].type))
        return false;
    }
  }
  return true;
}

TypePtr primitive_type_from_name(std::string_view name) {
  struct Alias { std::string_view name; TypePtr (*make)(); };
  static const Alias aliases[] = {
      {"BOOLEAN", Type::boolean}, {"BOOL", Type::boolean},
      {"BIGINT", Type::bigint},   {"INT", Type::bigint},
      {"INTEGER", Type::bigint},  {"SMALLINT", Type::bigint},
      {"TINYINT", Type::bigint},  {"LONG", Type::bigint},
      {"DOUBLE", Type::float64},  {"FLOAT", Type::float64},
      {"REAL", Type::float64},    {"STRING", Type::string},
      {"VARCHAR", Type::string},  {"CHAR", Type::string},
      {"TEXT", Type::string},     {"TIMESTAMP", Type::timestamp},
      {"TIMESTAMP_LTZ", Type::timestamp},
  };
  for (const auto& a : aliases)
    if (iequals(a.name, name)) return a.make();
  return nullptr;
}

}  // namespace pipec
