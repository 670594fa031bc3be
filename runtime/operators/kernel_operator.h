// One fused kernel (a run of Constraint / Filter / Project operators, see
// compiler/lower) as a single operator: the compiled function when the JIT
// produced one, the reference kernel otherwise. Either way the batch is
// processed by one call over all its rows; this operator then turns the
// kernel's row marks into dead letters and counters.
#pragma once

#include <memory>

#include "compiler/codegen/kernel_compiler.h"
#include "runtime/operators/operator.h"

namespace pipec {

class KernelOperator : public Operator {
 public:
  // `kernel` must outlive the operator (it lives in the CompiledPipeline).
  // `sql[c]`: constraint slot c's expression as declared, for messages (the
  // optimizer may have rewritten the kernel's copy); empty -> to_sql() of it.
  KernelOperator(const CompiledKernel& kernel, uint32_t batch_capacity = kDefaultBatchCapacity,
                 std::vector<std::string> sql = {});
  const char* name() const override { return kernel_.native ? "CompiledKernel" : "InterpretedKernel"; }
  void open(ExecContext& ctx) override;
  void push(Batch& batch, ExecContext& ctx) override;

 private:
  const CompiledKernel& kernel_;
  std::unique_ptr<Batch> out_;            // projected rows (kernels with a Project)
  std::vector<uint8_t> status_before_;
  std::vector<uint64_t> violations_, checked_;  // per constraint slot, this batch
  std::vector<ConstraintStats*> stats_;   // per constraint slot
  std::vector<std::string> sql_;          // per constraint slot, as declared
  std::vector<std::string> errors_;       // "constraint 'x' violated: sql"
  std::vector<std::string> keys_;         // "constraint x"
  std::vector<PipecKernelColumn> inputs_, outputs_;
};

}  // namespace pipec
