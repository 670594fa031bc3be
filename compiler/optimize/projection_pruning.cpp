// The decoder extracts only what the plan reads: unused source columns are
// dropped and `device.os` on an otherwise unused ROW column becomes its own
// decode path, so simdjson never materializes the rest of `device`.
// NOT NULL columns stay: decoding them is how records missing them are
// dead-lettered.
#include <map>

#include "compiler/optimize/optimizer.h"
#include "compiler/optimize/plan_walk.h"

namespace pipec {

namespace {

// The operators whose expressions read the source's columns (directly or
// after lookup joins appended theirs): everything up to and including the
// first Project or WindowAggregate.
std::vector<LogicalOperator*> readers_of_source(LogicalPipeline& plan, LogicalSource** source) {
  std::vector<LogicalOperator*> chain;
  for (LogicalOperator* op = plan.root.get(); op; op = op->child.get()) chain.push_back(op);
  *source = chain.back()->type == LogicalOperatorType::Source ? &chain.back()->as<LogicalSource>() : nullptr;
  std::vector<LogicalOperator*> readers;
  for (auto it = chain.rbegin() + 1; it != chain.rend(); ++it) {
    readers.push_back(*it);
    if ((*it)->type == LogicalOperatorType::Project || (*it)->type == LogicalOperatorType::WindowAggregate) break;
  }
  return readers;
}

void each_expr(LogicalOperator* op, const std::function<void(BoundExprPtr&)>& f) {
  LogicalPipeline one;
  // for_each_expression walks a chain; wrap a single operator without owning it.
  std::unique_ptr<LogicalOperator> child = std::move(op->child);
  one.root.reset(op);
  for_each_expression(one, f);
  (void)one.root.release();
  op->child = std::move(child);
}

}  // namespace

int prune_projections(LogicalPipeline& plan) {
  LogicalSource* source = nullptr;
  auto readers = readers_of_source(plan, &source);
  if (!source) return 0;
  const int width = static_cast<int>(source->decode.size());

  std::vector<bool> whole(width, false);
  std::map<int, std::vector<std::vector<std::string>>> paths;
  for (auto* op : readers) {
    each_expr(op, [&](BoundExprPtr& e) {
      std::function<void(const BoundExpr&)> scan = [&](const BoundExpr& x) {
        if (x.kind == BoundKind::FieldAccess && x.children[0]->kind == BoundKind::Column &&
            x.children[0]->column < width) {
          auto& list = paths[x.children[0]->column];
          if (std::find(list.begin(), list.end(), x.field_path) == list.end()) list.push_back(x.field_path);
          return;
        }
        if (x.kind == BoundKind::Column && x.column < width) whole[x.column] = true;
        for (const auto& c : x.children) scan(*c);
      };
      scan(*e);
    });
  }
  for (int c = 0; c < width; ++c)
    if (source->decode[c].not_null) whole[c] = true;
  // A DEDUPLICATE on the source runs in event time: it reads the watermark
  // column implicitly, so the column stays even when no expression uses it.
  const RelationDef* rel = source->relation;
  bool dedup = std::any_of(readers.begin(), readers.end(),
                           [](const LogicalOperator* op) { return op->type == LogicalOperatorType::Dedup; });
  if (dedup && rel && rel->watermark) {
    for (int c = 0; c < width; ++c)
      if (!source->decode[c].metadata && source->decode[c].path.size() == 1 &&
          source->decode[c].path[0] == rel->columns[rel->watermark->column].name)
        whole[c] = true;
  }

  // New decode list and the index maps.
  std::vector<DecodeColumn> decode;
  std::vector<PlanColumn> schema;
  std::vector<int> column_map(width, -1);
  std::map<std::pair<int, std::vector<std::string>>, int> path_map;
  for (int c = 0; c < width; ++c) {
    if (whole[c]) {
      column_map[c] = static_cast<int>(decode.size());
      decode.push_back(source->decode[c]);
      schema.push_back(source->schema[c]);
      continue;
    }
    for (const auto& path : paths[c]) {
      const Type* t = source->decode[c].type.get();
      bool nullable = source->schema[c].nullable;
      for (const auto& f : path) {
        const Field* field = t->find_field(f);
        t = field->type.get();
        nullable |= !field->not_null;
      }
      DecodeColumn d = source->decode[c];
      std::string name = d.name;
      for (const auto& f : path) {
        d.path.push_back(f);
        name += "." + f;
      }
      d.name = name;
      d.type = std::const_pointer_cast<Type>(std::shared_ptr<const Type>(source->decode[c].type, t));
      d.raw_json = t->is_nested();
      d.not_null = false;
      path_map[{c, path}] = static_cast<int>(decode.size());
      decode.push_back(d);
      schema.push_back({name, d.type, nullable});
    }
  }
  int removed = width - static_cast<int>(decode.size());
  bool changed = removed != 0 || !path_map.empty();
  if (!changed) return 0;
  const int shift = static_cast<int>(decode.size()) - width;

  // Top-down: a FieldAccess must see its base column's original index.
  std::function<BoundExprPtr(const BoundExprPtr&)> remap = [&](const BoundExprPtr& x) -> BoundExprPtr {
    if (x->kind == BoundKind::FieldAccess && x->children[0]->kind == BoundKind::Column &&
        x->children[0]->column < width) {
      auto it = path_map.find({x->children[0]->column, x->field_path});
      if (it != path_map.end()) return make_column(it->second, x->name, x->type, x->nullable, x->span);
    }
    auto copy = std::make_shared<BoundExpr>(*x);
    if (x->kind == BoundKind::Column) copy->column = x->column < width ? column_map[x->column] : x->column + shift;
    for (auto& c : copy->children) c = remap(c);
    return copy;
  };
  for (auto* op : readers) each_expr(op, [&](BoundExprPtr& e) { e = remap(e); });
  source->decode = std::move(decode);
  source->schema = std::move(schema);
  // Pass-through operators below the first Project carry the new schema.
  for (auto it = readers.begin(); it != readers.end(); ++it) {
    LogicalOperator* op = *it;
    if (op->type == LogicalOperatorType::Project || op->type == LogicalOperatorType::WindowAggregate) break;
    std::vector<PlanColumn> s = op->child->schema;
    if (op->type == LogicalOperatorType::LookupJoin) {
      const auto& j = op->as<LogicalLookupJoin>();
      for (const auto& c : j.table->columns) s.push_back({c.name, c.type, j.left || !c.not_null});
    }
    op->schema = std::move(s);
  }
  return std::max(1, removed + static_cast<int>(path_map.size()));
}

}  // namespace pipec
