// Named optimizer passes over logical plans, run by one manager that can
// switch each off (pipec explain --disable-pass NAME, tests) and records what
// each pass changed. One pass per file; adding a pass = a file + one line in
// optimizer.cpp.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "compiler/plan/logical_plan.h"

namespace pipec {

struct OptimizerPass {
  const char* name;
  const char* description;
  // Returns how many rewrites it made.
  int (*run)(LogicalPipeline& plan);
};

const std::vector<OptimizerPass>& all_optimizer_passes();

struct OptimizerOptions {
  std::set<std::string> disabled;
};

struct PassReport {
  std::string pass;
  bool enabled = true;
  int rewrites = 0;
};

std::vector<PassReport> optimize(LogicalPipeline& plan, const OptimizerOptions& options = {});

// Pass entry points (one file each).
int fold_constants(LogicalPipeline& plan);
int push_down_predicates(LogicalPipeline& plan);
int place_constraints(LogicalPipeline& plan);
int prune_projections(LogicalPipeline& plan);

// Folds constant subtrees of one expression; exposed for lints and tests.
BoundExprPtr fold_expression(const BoundExprPtr& e, int* rewrites = nullptr);

}  // namespace pipec
