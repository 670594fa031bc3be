#include "compiler/lower/physical_plan.h"

namespace pipec {

const char* stage_kind_name(PhysicalStage::Kind k) {
  switch (k) {
    case PhysicalStage::Kind::Decode: return "Decode";
    case PhysicalStage::Kind::Kernel: return "Kernel";
    case PhysicalStage::Kind::Dedup: return "Dedup";
    case PhysicalStage::Kind::LookupJoin: return "LookupJoin";
    case PhysicalStage::Kind::WindowAggregate: return "WindowAggregate";
    case PhysicalStage::Kind::Sink: return "Sink";
  }
  return "?";
}

PhysicalPipeline lower_to_physical(const LogicalPipeline& plan) {
  PhysicalPipeline out;
  out.logical = &plan;
  std::vector<const LogicalOperator*> chain;
  for (const LogicalOperator* op = plan.root.get(); op; op = op->child.get()) chain.insert(chain.begin(), op);
  for (const LogicalOperator* op : chain) {
    using T = LogicalOperatorType;
    using K = PhysicalStage::Kind;
    bool fusable = op->type == T::Constraint || op->type == T::Filter || op->type == T::Project;
    if (fusable) {
      if (out.stages.empty() || out.stages.back().kind != K::Kernel) {
        out.stages.push_back({K::Kernel, {}, out.kernel_count++});
      }
      out.stages.back().operators.push_back(op);
      continue;
    }
    K kind = op->type == T::Source ? K::Decode
             : op->type == T::Dedup ? K::Dedup
             : op->type == T::LookupJoin ? K::LookupJoin
             : op->type == T::WindowAggregate ? K::WindowAggregate
                                              : K::Sink;
    out.stages.push_back({kind, {op}, -1});
  }
  return out;
}

}  // namespace pipec
