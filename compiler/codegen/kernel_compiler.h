// Compiles every kernel of a physical pipeline through the JIT engine (or
// loads it from the on-disk object cache) and hands the runtime one entry
// point per kernel: compiled when possible, the reference kernel otherwise.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "compiler/codegen/kernel_abi.h"
#include "compiler/codegen/kernel_spec.h"

namespace pipec {

namespace jit {
class JitEngine;
}

struct KernelCompileOptions {
  bool use_jit = true;
  std::string cache_dir;  // empty: no object cache
  int opt_level = 2;
};

struct CompiledKernel {
  KernelSpec spec;
  PipecKernelFn native = nullptr;   // null: run with run_reference_kernel
  std::string interpreted_because;  // why not compiled (when native is null)
  void run(PipecKernelArgs* args) const;
};

// Where compile time goes, for the run summary (all in ms).
struct CompileTimings {
  double engine_setup = 0;  // target machine + LLJIT, once per pipeline
  double ir = 0;            // building the LLVM IR of the kernels
  double optimize = 0;      // LLVM pass pipeline
  double codegen = 0;       // instruction selection + object emission
  double total = 0;         // everything, including linking and cache loads
  CompileTimings& operator+=(const CompileTimings& o);
};

struct CompiledPipeline {
  std::vector<CompiledKernel> kernels;  // by kernel id
  double compile_ms = 0;
  CompileTimings timings;
  int cache_hits = 0;
  std::string error;                    // JIT unavailable: everything is interpreted
  std::shared_ptr<jit::JitEngine> engine;
};

CompiledPipeline compile_kernels(const PhysicalPipeline& plan, const KernelCompileOptions& options);

// Default cache directory: $PIPEC_CACHE_DIR, else $XDG_CACHE_HOME/pipec, else ~/.cache/pipec.
std::string default_kernel_cache_dir();

}  // namespace pipec
