#include "compiler/codegen/kernel_compiler.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>

#include "compiler/codegen/kernel_codegen.h"
#include "compiler/codegen/reference_kernel.h"
#include "compiler/codegen/runtime_helpers.h"
#include "compiler/jit/jit_engine.h"

namespace pipec {

void CompiledKernel::run(PipecKernelArgs* args) const {
  if (native) native(args);
  else run_reference_kernel(spec, args);
}

CompileTimings& CompileTimings::operator+=(const CompileTimings& o) {
  engine_setup += o.engine_setup;
  ir += o.ir;
  optimize += o.optimize;
  codegen += o.codegen;
  total += o.total;
  return *this;
}

std::string default_kernel_cache_dir() {
  if (const char* d = std::getenv("PIPEC_CACHE_DIR")) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME")) return std::string(x) + "/pipec";
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.cache/pipec";
  return {};
}

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Code generation changes between builds of one version, so cached objects
// are keyed by the build of the running binary too (its size and mtime).
std::string build_identity() {
  struct stat st {};
  if (stat("/proc/self/exe", &st) != 0) return "unknown-build";
  return std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) + "-" +
         std::to_string(st.st_mtim.tv_nsec);
}
}  // namespace

CompiledPipeline compile_kernels(const PhysicalPipeline& plan, const KernelCompileOptions& options) {
  CompiledPipeline out;
  for (const auto& stage : plan.stages) {
    if (stage.kind != PhysicalStage::Kind::Kernel) continue;
    out.kernels.push_back({describe_kernel(stage, "pipec_kernel_" + std::to_string(stage.kernel_id)), nullptr, {}});
  }
  if (!options.use_jit) {
    for (auto& k : out.kernels) k.interpreted_because = "--no-jit";
    return out;
  }
  auto start = Clock::now();
  jit::JitOptions jo;
  jo.opt_level = options.opt_level;
  jo.cache_dir = options.cache_dir;
  static const std::string build = build_identity();
  jo.cache_namespace = "kernels-" + build;
  auto engine = jit::JitEngine::create(jo);
  out.timings.engine_setup = ms_since(start);
  if (!engine) {
    out.error = jit::jit_error_message(engine.takeError());
    for (auto& k : out.kernels) k.interpreted_because = out.error;
    return out;
  }
  out.engine = std::shared_ptr<jit::JitEngine>(std::move(*engine));
  if (auto err = out.engine->register_symbols(kernel_host_symbols())) {
    out.error = jit::jit_error_message(std::move(err));
    for (auto& k : out.kernels) k.interpreted_because = out.error;
    return out;
  }
  for (auto& k : out.kernels) {
    std::string why = why_not_compilable(k.spec);
    if (!why.empty()) {
      k.interpreted_because = why;
      continue;
    }
    // The fingerprint names the function too, so one cache entry per kernel.
    std::string key = kernel_fingerprint(k.spec);
    auto cached = out.engine->try_add_cached(key);
    bool loaded = false;
    if (cached && *cached) {
      loaded = true;
      ++out.cache_hits;
    } else if (!cached) {
      llvm::consumeError(cached.takeError());
    }
    if (!loaded) {
      auto ir_start = Clock::now();
      auto module = generate_kernel_module(k.spec);
      out.timings.ir += ms_since(ir_start);
      if (!module) {
        k.interpreted_because = jit::jit_error_message(module.takeError());
        continue;
      }
      auto handle = out.engine->add_module(std::move(*module), key);
      if (!handle) {
        k.interpreted_because = jit::jit_error_message(handle.takeError());
        continue;
      }
      out.timings.optimize += out.engine->last_stats().optimize_ms;
      out.timings.codegen += out.engine->last_stats().codegen_ms;
    }
    auto fn = out.engine->lookup<void(PipecKernelArgs*)>(k.spec.function_name);
    if (!fn) {
      k.interpreted_because = jit::jit_error_message(fn.takeError());
      continue;
    }
    k.native = *fn;
  }
  out.compile_ms = out.timings.total = ms_since(start);
  return out;
}

}  // namespace pipec
