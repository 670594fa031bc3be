#include "compiler/check/mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "compiler/check/check_util.h"

namespace pipec {

namespace {

void write_type(JsonWriter& w, const Type& t, int depth);

void write_properties(JsonWriter& w, const std::vector<Field>& fields, int depth) {
  w.key("properties").begin_object();
  for (const auto& f : fields) {
    w.key(f.name);
    write_type(w, f.type ? *f.type : *Type::string(), depth + 1);
  }
  w.end_object();
}

void write_type(JsonWriter& w, const Type& t, int depth) {
  // Types nest only as deep as the script wrote them; the bound keeps a
  // hostile input from exhausting the stack all the same.
  if (depth > 64) {
    w.begin_object().field("type", "object").field("enabled", false).end_object();
    return;
  }
  switch (t.id) {
    case TypeId::Boolean: w.begin_object().field("type", "boolean").end_object(); return;
    case TypeId::BigInt:
    case TypeId::Interval: w.begin_object().field("type", "long").end_object(); return;
    case TypeId::Double: w.begin_object().field("type", "double").end_object(); return;
    case TypeId::Timestamp:
      w.begin_object().field("type", "date").field("format", "strict_date_optional_time||epoch_millis").end_object();
      return;
    case TypeId::Row:
      w.begin_object().field("type", "object").field("dynamic", false);
      write_properties(w, t.fields, depth);
      w.end_object();
      return;
    case TypeId::Array:
      if (t.element) {
        write_type(w, *t.element, depth + 1);
        return;
      }
      [[fallthrough]];
    case TypeId::String:
    case TypeId::Null: w.begin_object().field("type", "keyword").end_object(); return;
  }
  w.begin_object().field("type", "keyword").end_object();
}

std::string fields_signature(std::vector<MappedField> fields) {
  std::sort(fields.begin(), fields.end(),
            [](const MappedField& a, const MappedField& b) { return check::lower(a.name) < check::lower(b.name); });
  std::string s;
  for (const auto& f : fields) s += check::lower(f.name) + ":" + (f.type ? f.type->to_string() : "?") + ";";
  return s;
}

// The first difference between two field lists, for messages.
std::string describe_difference(const std::vector<MappedField>& a, const std::string& a_name,
                                const std::vector<MappedField>& b, const std::string& b_name) {
  auto find = [](const std::vector<MappedField>& v, const std::string& n) -> const MappedField* {
    for (const auto& f : v)
      if (check::iequals(f.name, n)) return &f;
    return nullptr;
  };
  for (const auto& f : a) {
    const MappedField* g = find(b, f.name);
    if (!g) return fmt::format("'{}' writes '{}' but '{}' does not", a_name, f.name, b_name);
    if (f.type && g->type && !type_equals(*f.type, *g->type))
      return fmt::format("'{}' is {} in '{}' but {} in '{}'", f.name, f.type->to_string(), a_name,
                         g->type->to_string(), b_name);
  }
  for (const auto& g : b)
    if (!find(a, g.name)) return fmt::format("'{}' writes '{}' but '{}' does not", b_name, g.name, a_name);
  return "their columns differ";
}

}  // namespace

std::vector<MappedField> pipeline_fields(const PipelineDef& pipeline) {
  std::vector<MappedField> out;
  for (const auto& o : pipeline.outputs)
    out.push_back({o.name, o.expr && o.expr->type ? o.expr->type : Type::string()});
  return out;
}

void write_index_mapping(JsonWriter& w, const std::vector<MappedField>& fields) {
  w.begin_object().field("dynamic", "strict").key("properties").begin_object();
  for (const auto& f : fields) {
    w.key(f.name);
    write_type(w, f.type ? *f.type : *Type::string(), 1);
  }
  w.end_object().end_object();
}

std::string index_mapping_json(const std::vector<MappedField>& fields) {
  JsonWriter w;
  write_index_mapping(w, fields);
  return w.take();
}

std::string index_mapping_json(const PipelineDef& pipeline) { return index_mapping_json(pipeline_fields(pipeline)); }

bool sink_fields(const BoundScript& script, const SinkDef& sink, std::vector<MappedField>* out, std::string* error) {
  if (!sink.declared_columns.empty()) {
    out->clear();
    for (const auto& c : sink.declared_columns) out->push_back({c.name, c.type});
    return true;
  }
  auto writers = check::pipelines_writing(script, sink);
  if (writers.empty()) {
    *error = fmt::format("no pipeline writes to sink '{}' and it declares no columns", sink.name);
    return false;
  }
  *out = pipeline_fields(*writers[0]);
  for (size_t i = 1; i < writers.size(); ++i) {
    auto other = pipeline_fields(*writers[i]);
    if (fields_signature(other) != fields_signature(*out)) {
      *error = fmt::format("pipelines '{}' and '{}' write different schemas to sink '{}': {}", writers[0]->name,
                           writers[i]->name, sink.name,
                           describe_difference(*out, writers[0]->name, other, writers[i]->name));
      return false;
    }
  }
  return true;
}

void check_shared_sinks(const BoundScript& script, DiagnosticEngine& diags) {
  for (const auto& sink : script.sinks) {
    if (!sink->declared_columns.empty()) continue;
    auto writers = check::pipelines_writing(script, *sink);
    if (writers.size() < 2) continue;
    auto first = pipeline_fields(*writers[0]);
    for (size_t i = 1; i < writers.size(); ++i) {
      // A pipeline whose outputs failed to bind is already reported.
      if (writers[i]->outputs.empty() || check::has_error_inside(diags, writers[i]->span) ||
          check::has_error_inside(diags, writers[0]->span))
        continue;
      auto other = pipeline_fields(*writers[i]);
      if (fields_signature(other) == fields_signature(first)) continue;
      auto& d = diags.report(DiagKind::SinkSchemaMismatch,
                             check::declared_name_span(diags.sources(), writers[i]->span),
                             fmt::format("pipelines '{}' and '{}' write different schemas to sink '{}': {}",
                                         writers[0]->name, writers[i]->name, sink->name,
                                         describe_difference(first, writers[0]->name, other, writers[i]->name)));
      d.hint = "one index has one mapping: select the same columns with the same types in both, or declare the "
               "sink's columns";
      d.notes.push_back({check::declared_name_span(diags.sources(), writers[0]->span),
                         "pipeline '" + writers[0]->name + "' is declared here"});
    }
  }
}

}  // namespace pipec
