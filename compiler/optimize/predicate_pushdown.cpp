// WHERE conjuncts that read only stream columns move below lookup joins, so
// rows are filtered before paying for a lookup.
#include "compiler/optimize/optimizer.h"
#include "compiler/optimize/plan_walk.h"

namespace pipec {

int push_down_predicates(LogicalPipeline& plan) {
  int rewrites = 0;
  for_each_operator_slot(plan, [&](std::unique_ptr<LogicalOperator>& slot) {
    if (slot->type != LogicalOperatorType::Filter || !slot->child ||
        slot->child->type != LogicalOperatorType::LookupJoin)
      return;
    auto& filter = slot->as<LogicalFilter>();
    auto& join = slot->child->as<LogicalLookupJoin>();
    const int stream_width = static_cast<int>(join.child->schema.size());
    std::vector<BoundExprPtr> terms =
        filter.predicate->kind == BoundKind::And ? filter.predicate->children : std::vector<BoundExprPtr>{filter.predicate};
    std::vector<BoundExprPtr> below, above;
    for (const auto& t : terms) {
      auto cols = referenced_columns(*t);
      bool stream_only = std::all_of(cols.begin(), cols.end(), [&](int c) { return c < stream_width; });
      (stream_only ? below : above).push_back(t);
    }
    if (below.empty()) return;
    auto pushed = std::make_unique<LogicalFilter>();
    pushed->predicate = make_and(below);
    pushed->schema = join.child->schema;
    pushed->child = std::move(join.child);
    join.child = std::move(pushed);
    rewrites += static_cast<int>(below.size());
    if (above.empty()) slot = std::move(slot->child);
    else filter.predicate = make_and(above);
  });
  return rewrites;
}

}  // namespace pipec
