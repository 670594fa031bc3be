// Physical plans: the logical chain cut into stages. Runs of row-local
// operators (Constraint, Filter, Project) fuse into one kernel — one compiled
// function over a batch; Decode, Dedup, LookupJoin, WindowAggregate and Sink
// are stages of their own (they hold state or do I/O).
#pragma once

#include <vector>

#include "compiler/plan/logical_plan.h"

namespace pipec {

struct PhysicalStage {
  enum class Kind { Decode, Kernel, Dedup, LookupJoin, WindowAggregate, Sink } kind = Kind::Kernel;
  std::vector<const LogicalOperator*> operators;  // in execution order (source first)
  int kernel_id = -1;                             // Kernel stages: 0, 1, ...
};
const char* stage_kind_name(PhysicalStage::Kind k);

struct PhysicalPipeline {
  const LogicalPipeline* logical = nullptr;
  std::vector<PhysicalStage> stages;              // source first
  int kernel_count = 0;
};

PhysicalPipeline lower_to_physical(const LogicalPipeline& plan);

}  // namespace pipec
