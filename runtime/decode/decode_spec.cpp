#include "runtime/decode/decode_spec.h"

#include <algorithm>

namespace pipec {

std::vector<PhysicalType> DecodeSpec::column_types() const {
  std::vector<PhysicalType> types;
  types.reserve(columns.size());
  for (const auto& c : columns) types.push_back(c.type->physical());
  return types;
}

std::string path_display_name(const std::vector<std::string>& path) {
  std::string name;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) name += '.';
    name += path[i];
  }
  return name;
}

std::string DecodeSpec::validate() const {
  for (size_t i = 0; i < columns.size(); ++i) {
    const DecodeField& c = columns[i];
    std::string name = path_display_name(c.path);
    if (!c.type) return "column " + std::to_string(i) + " has no type";
    if (c.external) continue;
    if (c.path.empty()) return "column " + std::to_string(i) + " has an empty path";
    switch (c.type->id) {
      case TypeId::Boolean:
      case TypeId::BigInt:
      case TypeId::Double:
      case TypeId::Timestamp:
      case TypeId::Interval:
        if (c.raw_json) return "column '" + name + "': raw_json needs a ROW, ARRAY or STRING type";
        break;
      case TypeId::String: break;
      case TypeId::Row:
      case TypeId::Array:
        if (!c.raw_json) return "column '" + name + "': ROW and ARRAY columns must be raw_json";
        break;
      case TypeId::Null: return "column '" + name + "' has type NULL";
    }
    for (size_t j = 0; j < columns.size(); ++j) {
      if (j == i || columns[j].external) continue;
      const auto& other = columns[j].path;
      if (other == c.path && j > i) return "column '" + name + "' is listed twice";
      bool is_prefix = other.size() > c.path.size() &&
                       std::equal(c.path.begin(), c.path.end(), other.begin());
      bool object_capture = c.raw_json && (c.type->id == TypeId::Row || c.type->id == TypeId::String);
      if (is_prefix && !object_capture)
        return "column '" + name + "' is a prefix of '" + path_display_name(other) +
               "' and so must be a raw_json ROW or STRING";
    }
  }
  return {};
}

}  // namespace pipec
