// What a fused kernel computes, independent of how it is executed (compiled
// or interpreted): its operators, input and output schemas, and the
// constraint slots its counters and row_reason refer to.
#pragma once

#include <string>
#include <vector>

#include "compiler/lower/physical_plan.h"

namespace pipec {

struct ConstraintSlot {
  std::string owner;   // source or pipeline
  const ConstraintInfo* constraint = nullptr;
};

struct KernelSpec {
  std::string function_name;                 // pipec_kernel_<n>
  std::vector<const LogicalOperator*> operators;
  std::vector<PlanColumn> inputs;            // schema of the first operator's child
  std::vector<PlanColumn> outputs;           // schema after the last operator
  bool projects = false;                     // writes outputs (else passes inputs through)
  std::vector<ConstraintSlot> constraints;   // slot order = evaluation order
};

KernelSpec describe_kernel(const PhysicalStage& stage, const std::string& function_name);

// A stable key for the compiled-object cache: the kernel's full SQL text and
// types (the engine adds pipec/LLVM versions and the host CPU).
std::string kernel_fingerprint(const KernelSpec& spec);

}  // namespace pipec
