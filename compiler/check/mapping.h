// Elasticsearch index mappings derived from the schema a pipeline writes.
// `pipec check --emit-mapping` prints them; the Elasticsearch sink uses the
// same builder to create indices and index templates (index.create).
//
// Explicit mappings with "dynamic": "strict" at the top level, so a document
// with a field the pipeline does not declare is rejected instead of silently
// growing the mapping. Types:
//   BOOLEAN    -> boolean
//   BIGINT     -> long
//   DOUBLE     -> double
//   STRING     -> keyword   (exact values: terms, aggregations, sorting; no
//                            full-text analysis — map a text field yourself
//                            with index.create = 'none' if you need one)
//   TIMESTAMP  -> date, format strict_date_optional_time||epoch_millis (the
//                 sink writes ISO-8601 UTC with milliseconds)
//   INTERVAL   -> long (milliseconds, as the sink writes it)
//   ROW<...>   -> object with properties, "dynamic": false: ROW values are
//                 written as the JSON the source sent, which may carry fields
//                 the ROW type does not declare; those stay in _source,
//                 unindexed, instead of failing the document
//   ARRAY<T>   -> the mapping of T (Elasticsearch fields hold arrays natively);
//                 ARRAY<ROW<...>> is an object array, not "nested": queries
//                 match fields across elements, and no nested-document
//                 overhead is paid
//   NULL (an always-NULL column) -> keyword
#pragma once

#include <string>
#include <vector>

#include "compiler/bind/bound_script.h"
#include "compiler/diagnostics/diagnostic.h"
#include "runtime/common/json_writer.h"

namespace pipec {

struct MappedField {
  std::string name;
  TypePtr type;
};

// The fields a pipeline writes: its output columns with their types.
std::vector<MappedField> pipeline_fields(const PipelineDef& pipeline);

// The mapping object of a pipeline's output ({"dynamic": "strict",
// "properties": {...}}), pretty-printed. PUT /<index> takes it as
// {"mappings": <this>}; an index template as {"template": {"mappings": <this>}}.
std::string index_mapping_json(const PipelineDef& pipeline);
// The same for explicit fields, and as a writer call for embedding.
std::string index_mapping_json(const std::vector<MappedField>& fields);
void write_index_mapping(JsonWriter& w, const std::vector<MappedField>& fields);

// The fields of a sink: its declared columns when it declares them, else the
// output of the pipelines writing it, which must then agree. Returns false
// and sets *error when they do not (or when nothing writes the sink).
bool sink_fields(const BoundScript& script, const SinkDef& sink, std::vector<MappedField>* out, std::string* error);

// Reports SinkSchemaMismatch where several pipelines write one sink without
// a declared schema and disagree on it: one index would need two mappings.
void check_shared_sinks(const BoundScript& script, DiagnosticEngine& diags);

}  // namespace pipec
