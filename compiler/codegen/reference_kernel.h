// The reference implementation of the kernel ABI (kernel_abi.h): the same
// contract as a compiled kernel, evaluated row by row with the reference
// expression semantics. It runs kernels the JIT cannot compile and is the
// oracle of the JIT's differential tests.
#pragma once

#include "compiler/codegen/kernel_abi.h"
#include "compiler/codegen/kernel_spec.h"

namespace pipec {

void run_reference_kernel(const KernelSpec& spec, PipecKernelArgs* args);

// Vector slot <-> Value conversions shared with the runtime's interpreter.
Value read_slot(const PipecKernelColumn& column, const Type& type, uint32_t row);
void write_slot(PipecKernelColumn& column, const Type& type, uint32_t row, const Value& v, FunctionContext& ctx);

}  // namespace pipec
