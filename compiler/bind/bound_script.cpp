#include "compiler/bind/bound_script.h"

#include <algorithm>
#include <cctype>

namespace pipec {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

const OptionInfo* OptionSet::find(std::string_view key) const {
  for (const auto& o : options)
    if (o.key == key) return &o;
  return nullptr;
}

std::string OptionSet::get(std::string_view key, std::string fallback) const {
  const OptionInfo* o = find(key);
  return o ? o->value : fallback;
}

int RelationDef::find_column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return static_cast<int>(i);
  for (size_t i = 0; i < columns.size(); ++i)
    if (iequals(columns[i].name, name)) return static_cast<int>(i);
  return -1;
}

const RelationDef* BoundScript::find_relation(std::string_view name) const {
  for (const auto& r : relations)
    if (iequals(r->name, name)) return r.get();
  return nullptr;
}

const SinkDef* BoundScript::find_sink(std::string_view name) const {
  for (const auto& s : sinks)
    if (iequals(s->name, name)) return s.get();
  return nullptr;
}

}  // namespace pipec
