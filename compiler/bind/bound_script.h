// What a .pipe script means once names and types are resolved: sources,
// lookup tables, sinks and pipelines with typed columns, validated options,
// constraints and bound query parts. The planner builds logical plans from it;
// `pipec check` lints it and diffs it against a baseline.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bind/bound_expr.h"
#include "compiler/syntax/ast.h"

namespace pipec {

using ast::ViolationAction;

struct ColumnInfo {
  std::string name;
  TypePtr type;
  bool not_null = false;
  std::optional<std::string> metadata_key;  // METADATA FROM 'partition' (Kafka) / 'file', 'line'
  Span span;
};

struct ConstraintInfo {
  std::string name;
  BoundExprPtr expr;              // over the owner's columns; BOOLEAN
  ViolationAction action = ViolationAction::Warn;
  Span span;
  std::string origin;             // "constraint", "check", "not null"
};

struct DedupInfo {
  std::vector<BoundExprPtr> keys;
  std::optional<int64_t> within_ms;  // nullopt: unbounded (a lint)
  Span span;
};

struct WatermarkInfo {
  int column = -1;
  int64_t delay_ms = 0;
  Span span;
};

// A validated WITH option.
struct OptionInfo {
  std::string key;
  std::string value;             // text as written (secret: the variable name)
  bool is_secret = false;        // secret('NAME')
  ast::OptionValue::Kind kind = ast::OptionValue::Kind::String;
  Span span;
  Span value_span;
};

struct OptionSet {
  std::vector<OptionInfo> options;
  const OptionInfo* find(std::string_view key) const;
  std::string get(std::string_view key, std::string fallback = "") const;
};

// A source (stream or finite file) or a lookup table.
struct RelationDef {
  ast::RelationKind kind = ast::RelationKind::Source;
  std::string name;
  Span span;
  std::vector<ColumnInfo> columns;
  std::optional<WatermarkInfo> watermark;
  std::vector<ConstraintInfo> constraints;   // NOT NULL, CHECK and CONSTRAINT, in order
  std::vector<DedupInfo> dedups;
  std::vector<std::string> primary_key;
  std::string connector;                     // kafka | file
  std::string format = "json";               // json | csv
  OptionSet options;

  int find_column(std::string_view name) const;  // case-insensitive fallback
};

struct SinkDef {
  std::string name;
  Span span;
  std::string connector;                     // elasticsearch | stdout | file
  OptionSet options;
  std::vector<ColumnInfo> declared_columns;  // empty: schema comes from the pipeline
  std::vector<std::string> document_id;      // key columns ('document.id' or PRIMARY KEY)
  std::string index;                         // e.g. orders-{ts|yyyy.MM.dd}
};

struct OutputColumn {
  std::string name;
  BoundExprPtr expr;  // over the pipeline's input scope (or the grouped scope)
  Span span;
};

struct WindowInfo {
  enum class Kind { Tumble, Hop, Session } kind = Kind::Tumble;
  BoundExprPtr time;        // the event-time column
  int64_t size_ms = 0;      // tumble/hop size, session gap
  int64_t slide_ms = 0;     // hop only
  Span span;
};

struct JoinInfo {
  const RelationDef* table = nullptr;
  std::string alias;
  bool left = false;
  // Equi-join keys: stream-side expressions and table column indices.
  std::vector<BoundExprPtr> stream_keys;
  std::vector<int> table_keys;
  BoundExprPtr residual;    // non-equi remainder of ON, over the joined scope (or null)
  Span span;
};

// The scope a pipeline's expressions see: the source's columns followed by
// each joined table's columns, in that order. Column indices in bound
// expressions index this list.
struct ScopeColumn {
  std::string relation;  // alias or name
  ColumnInfo column;
};

struct PipelineDef {
  std::string name;
  Span span;
  OptionSet options;
  const RelationDef* source = nullptr;
  const SinkDef* sink = nullptr;
  std::vector<ScopeColumn> scope;
  std::vector<JoinInfo> joins;
  BoundExprPtr where;                       // over scope, may be null
  // Grouped pipelines: the window, group keys (over scope) and aggregates.
  std::optional<WindowInfo> window;
  std::vector<BoundExprPtr> group_keys;
  std::vector<BoundExprPtr> aggregates;     // Aggregate nodes over scope
  BoundExprPtr having;                      // over the grouped scope
  // SELECT list. Ungrouped: over scope. Grouped: over the grouped scope,
  // whose columns are [group keys..., aggregates..., window_start, window_end].
  std::vector<OutputColumn> outputs;
  std::vector<ConstraintInfo> constraints;  // over outputs (column i = outputs[i])
  std::vector<DedupInfo> dedups;            // over outputs

  bool grouped() const { return window.has_value(); }
};

struct BoundScript {
  // Stable addresses: pipelines point at relations and sinks.
  std::vector<std::unique_ptr<RelationDef>> relations;
  std::vector<std::unique_ptr<SinkDef>> sinks;
  std::vector<std::unique_ptr<PipelineDef>> pipelines;

  const RelationDef* find_relation(std::string_view name) const;
  const SinkDef* find_sink(std::string_view name) const;
};

}  // namespace pipec
