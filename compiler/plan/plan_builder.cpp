// Builds the logical plan of a pipeline in the order its semantics define:
//   source decode -> source constraints -> source dedup -> lookup joins ->
//   WHERE -> [window aggregate -> HAVING] -> SELECT -> pipeline constraints ->
//   pipeline dedup -> sink
#include <algorithm>
#include <cctype>

#include "compiler/plan/logical_plan.h"

namespace pipec {

const char* operator_name(LogicalOperatorType t) {
  switch (t) {
    case LogicalOperatorType::Source: return "Source";
    case LogicalOperatorType::Constraint: return "Constraint";
    case LogicalOperatorType::Dedup: return "Dedup";
    case LogicalOperatorType::LookupJoin: return "LookupJoin";
    case LogicalOperatorType::Filter: return "Filter";
    case LogicalOperatorType::WindowAggregate: return "WindowAggregate";
    case LogicalOperatorType::Project: return "Project";
    case LogicalOperatorType::Sink: return "Sink";
  }
  return "?";
}

namespace {

template <typename T>
std::unique_ptr<T> on_top(std::unique_ptr<LogicalOperator> child) {
  auto op = std::make_unique<T>();
  op->schema = child->schema;  // pass-through operators keep the schema
  op->child = std::move(child);
  return op;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::unique_ptr<LogicalOperator> build_source(const RelationDef& rel) {
  auto src = std::make_unique<LogicalSource>();
  src->relation = &rel;
  for (const auto& c : rel.columns) {
    DecodeColumn d;
    d.name = c.name;
    d.path = {c.name};
    d.type = c.type;
    d.not_null = c.not_null && !c.metadata_key;
    d.raw_json = c.type->is_nested();
    d.metadata = c.metadata_key;
    src->decode.push_back(d);
    src->schema.push_back({c.name, c.type, !c.not_null});
  }
  return src;
}

// NOT NULL is enforced by the decoder (the record never becomes a row), so
// only the other constraints become a Constraint operator.
std::unique_ptr<LogicalOperator> add_constraints(std::unique_ptr<LogicalOperator> child, const std::string& owner,
                                                 const std::vector<ConstraintInfo>& constraints) {
  std::vector<ConstraintInfo> rest;
  for (const auto& c : constraints)
    if (c.origin != "not null") rest.push_back(c);
  if (rest.empty()) return child;
  auto op = on_top<LogicalConstraint>(std::move(child));
  op->owner = owner;
  op->constraints = std::move(rest);
  return op;
}

std::unique_ptr<LogicalOperator> add_dedups(std::unique_ptr<LogicalOperator> child, const std::vector<DedupInfo>& dedups) {
  for (const auto& d : dedups) {
    if (d.keys.empty()) continue;
    auto op = on_top<LogicalDedup>(std::move(child));
    op->keys = d.keys;
    op->within_ms = d.within_ms;
    child = std::move(op);
  }
  return child;
}

LogicalPipeline build_pipeline(const PipelineDef& p) {
  LogicalPipeline out;
  out.name = p.name;
  out.def = &p;
  std::unique_ptr<LogicalOperator> op = build_source(*p.source);
  op = add_constraints(std::move(op), p.source->name, p.source->constraints);
  op = add_dedups(std::move(op), p.source->dedups);

  for (const auto& j : p.joins) {
    auto join = std::make_unique<LogicalLookupJoin>();
    join->schema = op->schema;
    for (const auto& c : j.table->columns) join->schema.push_back({c.name, c.type, j.left || !c.not_null});
    join->table = j.table;
    join->left = j.left;
    join->stream_keys = j.stream_keys;
    join->table_keys = j.table_keys;
    join->residual = j.residual;
    join->child = std::move(op);
    op = std::move(join);
  }

  if (p.where) {
    auto f = on_top<LogicalFilter>(std::move(op));
    f->predicate = p.where;
    op = std::move(f);
  }

  if (p.grouped()) {
    auto agg = std::make_unique<LogicalWindowAggregate>();
    agg->window = *p.window;
    agg->keys = p.group_keys;
    agg->aggregates = p.aggregates;
    if (p.source->watermark) agg->watermark_delay_ms = p.source->watermark->delay_ms;
    for (const auto& k : p.group_keys)
      agg->schema.push_back({k->kind == BoundKind::Column || k->kind == BoundKind::FieldAccess ? k->name : to_sql(*k),
                             k->type, k->nullable});
    for (const auto& a : p.aggregates) agg->schema.push_back({to_sql(*a), a->type, a->nullable});
    agg->schema.push_back({"window_start", Type::timestamp(), false});
    agg->schema.push_back({"window_end", Type::timestamp(), false});
    agg->child = std::move(op);
    op = std::move(agg);
    if (p.having) {
      auto f = on_top<LogicalFilter>(std::move(op));
      f->predicate = p.having;
      op = std::move(f);
    }
  }

  auto proj = std::make_unique<LogicalProject>();
  for (const auto& o : p.outputs) {
    proj->exprs.push_back(o.expr);
    proj->schema.push_back({o.name, o.expr->type, o.expr->nullable});
  }
  proj->child = std::move(op);
  op = std::move(proj);

  op = add_constraints(std::move(op), p.name, p.constraints);
  op = add_dedups(std::move(op), p.dedups);

  auto sink = on_top<LogicalSink>(std::move(op));
  sink->sink = p.sink;
  if (p.sink) {
    for (const auto& key : p.sink->document_id) {
      for (size_t i = 0; i < sink->schema.size(); ++i)
        if (iequals(sink->schema[i].name, key)) sink->document_id.push_back(static_cast<int>(i));
    }
  }
  out.root = std::move(sink);
  return out;
}

}  // namespace

std::vector<LogicalPipeline> build_logical_plans(const BoundScript& script) {
  std::vector<LogicalPipeline> plans;
  for (const auto& p : script.pipelines)
    if (p->source && p->sink) plans.push_back(build_pipeline(*p));
  return plans;
}

}  // namespace pipec
