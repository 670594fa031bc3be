// Logical plans: one chain of operators per pipeline, from the source's
// decoder to the sink. Expressions in an operator index its child's output
// columns. The optimizer (compiler/optimize) rewrites plans; lowering groups
// operators into fused kernels; the runtime executes them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/bind/bound_script.h"

namespace pipec {

enum class LogicalOperatorType { Source, Constraint, Dedup, LookupJoin, Filter, WindowAggregate, Project, Sink };
const char* operator_name(LogicalOperatorType t);

struct PlanColumn {
  std::string name;
  TypePtr type;
  bool nullable = true;
};

// One field the decoder extracts from each record.
struct DecodeColumn {
  std::string name;                     // output column name ("device.os" for a pruned path)
  std::vector<std::string> path;        // JSON key path
  TypePtr type;
  bool not_null = false;                // missing -> the record is dead-lettered
  bool raw_json = false;                // ROW/ARRAY passed through as JSON text
  std::optional<std::string> metadata;  // connector metadata instead of a JSON field
};

struct LogicalOperator {
  explicit LogicalOperator(LogicalOperatorType t) : type(t) {}
  virtual ~LogicalOperator() = default;

  LogicalOperatorType type;
  std::vector<PlanColumn> schema;            // output columns
  std::unique_ptr<LogicalOperator> child;    // input (null for Source)

  template <typename T> T& as() { return static_cast<T&>(*this); }
  template <typename T> const T& as() const { return static_cast<const T&>(*this); }
};

struct LogicalSource : LogicalOperator {
  LogicalSource() : LogicalOperator(LogicalOperatorType::Source) {}
  const RelationDef* relation = nullptr;
  std::vector<DecodeColumn> decode;          // schema[i] <- decode[i]
};

// Data-quality checks, evaluated in declaration order. A constraint is
// violated when its expression is FALSE; NULL passes (SQL CHECK semantics —
// pair it with NOT NULL to reject missing values). Every violation is counted
// per constraint. WARN only counts; DROP ROW removes the row (acknowledged,
// not emitted); DEAD LETTER removes it to the dead-letter output with the
// constraint's name; FAIL PIPELINE dead-letters the row and stops the run
// with a non-zero exit. Evaluation of a row stops at its first violated
// non-WARN constraint.
struct LogicalConstraint : LogicalOperator {
  LogicalConstraint() : LogicalOperator(LogicalOperatorType::Constraint) {}
  std::string owner;                         // source or pipeline name
  std::vector<ConstraintInfo> constraints;   // exprs over the child's columns
};

struct LogicalDedup : LogicalOperator {
  LogicalDedup() : LogicalOperator(LogicalOperatorType::Dedup) {}
  std::vector<BoundExprPtr> keys;
  std::optional<int64_t> within_ms;
};

struct LogicalLookupJoin : LogicalOperator {
  LogicalLookupJoin() : LogicalOperator(LogicalOperatorType::LookupJoin) {}
  const RelationDef* table = nullptr;
  bool left = false;
  std::vector<BoundExprPtr> stream_keys;     // over the child's columns
  std::vector<int> table_keys;               // table column indices
  BoundExprPtr residual;                     // over child columns + table columns
};

struct LogicalFilter : LogicalOperator {
  LogicalFilter() : LogicalOperator(LogicalOperatorType::Filter) {}
  BoundExprPtr predicate;
};

struct LogicalWindowAggregate : LogicalOperator {
  LogicalWindowAggregate() : LogicalOperator(LogicalOperatorType::WindowAggregate) {}
  WindowInfo window;
  std::vector<BoundExprPtr> keys;
  std::vector<BoundExprPtr> aggregates;
  int64_t watermark_delay_ms = 0;
};

struct LogicalProject : LogicalOperator {
  LogicalProject() : LogicalOperator(LogicalOperatorType::Project) {}
  std::vector<BoundExprPtr> exprs;           // schema[i] = exprs[i]
};

struct LogicalSink : LogicalOperator {
  LogicalSink() : LogicalOperator(LogicalOperatorType::Sink) {}
  const SinkDef* sink = nullptr;
  std::vector<int> document_id;              // child column indices hashed into _id
};

struct LogicalPipeline {
  std::string name;
  const PipelineDef* def = nullptr;
  std::unique_ptr<LogicalOperator> root;     // a LogicalSink
};

// Builds the unoptimized plan of each pipeline of a bound script (which must
// have bound without errors).
std::vector<LogicalPipeline> build_logical_plans(const BoundScript& script);

}  // namespace pipec
