// Physical kernel -> LLVM IR. One function per fused kernel: a loop over the
// batch's rows whose body reads like the plan it compiles — constraint
// checks, then filters, then the projection — with SQL NULLs carried as an
// (value, valid) pair per expression. See kernel_abi.h for the contract.
#pragma once

#include <memory>
#include <string>

#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Support/Error.h>

#include "compiler/codegen/kernel_spec.h"

namespace pipec {

// "" when every expression of the kernel compiles; otherwise why not (the
// runtime then runs that kernel with the reference evaluator).
std::string why_not_compilable(const KernelSpec& spec);

llvm::Expected<llvm::orc::ThreadSafeModule> generate_kernel_module(const KernelSpec& spec);

// Textual IR of a kernel, before or after the JIT's optimization pipeline
// (`pipec explain --ir`).
std::string kernel_ir(const KernelSpec& spec, bool optimized);

}  // namespace pipec
