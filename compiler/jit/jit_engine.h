// JitEngine: pipec's boundary to LLVM ORC. It turns an LLVM module produced by
// codegen into callable native code, optimizing it for the host CPU, and keeps
// an optional on-disk cache of compiled objects so a plan that was compiled
// before (same plan hash, same pipec/LLVM version, same CPU) starts instantly.
//
// Everything fallible returns llvm::Error / llvm::Expected; turn those into a
// pipec diagnostic with jit_error_message(). Nothing here aborts or exits.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Support/Error.h>

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace pipec::jit {

struct JitOptions {
  int opt_level = 2;            // 0..3, the IR pass pipeline
  // 0..3, instruction selection and register allocation. 0 (FastISel, fast
  // register allocator) because kernels are a small share of a run: at 2 the
  // quickstart's codegen took 22 ms instead of 8 ms, with no measurable
  // difference in run time on the bench pipelines (bench/README.md).
  int codegen_opt_level = 0;
  std::string cache_dir;        // empty: no disk cache
  std::string cache_namespace;  // separates caches sharing one directory
};

// What the last add_module / try_add_cached did; `pipec run` prints this.
struct JitStats {
  double optimize_ms = 0;    // IR pass pipeline
  double codegen_ms = 0;     // instruction selection + object emission
  double total_ms = 0;       // whole add, including linking into memory
  bool cache_hit = false;    // object came from disk: no optimize, no codegen
  bool cache_stored = false; // a fresh object was written to the cache
  std::string cache_note;    // why a cache file was ignored / not written
};

// Identifies one added module so its code can be freed.
using ModuleHandle = std::uint64_t;

class DiskObjectCache;

class JitEngine {
 public:
  static llvm::Expected<std::unique_ptr<JitEngine>> create(JitOptions options = {});
  ~JitEngine();
  JitEngine(const JitEngine&) = delete;
  JitEngine& operator=(const JitEngine&) = delete;

  // Host functions callable from compiled code by (unmangled C) name.
  llvm::Error register_symbols(const std::vector<std::pair<std::string, void*>>& symbols);

  // Compiles `module` now (optimize + codegen), or, when the cache holds an
  // object for `cache_key`, loads that instead and drops the IR untouched.
  // An empty key disables caching for this module.
  llvm::Expected<ModuleHandle> add_module(llvm::orc::ThreadSafeModule module,
                                          const std::string& cache_key = {});

  // Cache-only add, for callers that want to skip even building the IR:
  // returns std::nullopt on a miss (nothing added), a handle on a hit.
  llvm::Expected<std::optional<ModuleHandle>> try_add_cached(const std::string& cache_key);

  // Frees the code and symbols of one module.
  llvm::Error remove_module(ModuleHandle handle);

  // Address of a compiled function, typed: lookup<int64_t(int64_t)>("f").
  template <typename Fn>
  llvm::Expected<Fn*> lookup(const std::string& name) {
    auto addr = lookup_address(name);
    if (!addr) return addr.takeError();
    return addr->template toPtr<Fn*>();
  }
  llvm::Expected<llvm::orc::ExecutorAddr> lookup_address(const std::string& name);

  const JitStats& last_stats() const { return stats_; }
  const JitOptions& options() const { return options_; }
  // Host CPU name and features the code is compiled for (also keys the cache).
  const std::string& target_cpu() const { return cpu_; }
  const std::string& target_features() const { return features_; }
  // Where the object for `cache_key` lives (empty when caching is off).
  std::string cache_path(const std::string& cache_key) const;

 private:
  explicit JitEngine(JitOptions options);
  llvm::Error init();
  llvm::Expected<ModuleHandle> add_object(std::unique_ptr<llvm::MemoryBuffer> object);
  // Looks the given symbols up right away so compilation happens inside the add
  // (timed, cached, errors reported there) rather than at the first lookup.
  llvm::Error materialize(llvm::orc::SymbolLookupSet symbols);
  llvm::Error with_session_errors(llvm::Error error);
  ModuleHandle track(llvm::orc::ResourceTrackerSP tracker);

  // Order matters: everything ORC's callbacks touch (target machine, cache,
  // stats, session errors) is declared before jit_ so it outlives it, and the
  // trackers after it so they are released before the JIT tears down.
  JitOptions options_;
  std::string cpu_, features_;
  std::unique_ptr<llvm::TargetMachine> opt_tm_;  // gives the optimizer host costs
  std::unique_ptr<DiskObjectCache> cache_;
  JitStats stats_;
  // ORC reports materialization failures to the session, not to the lookup
  // that triggered them; we keep them to give the caller the real reason.
  std::mutex session_error_mutex_;
  std::string session_error_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::mutex add_mutex_;  // one add at a time, so stats_ describes it
  std::map<ModuleHandle, llvm::orc::ResourceTrackerSP> modules_;
  ModuleHandle next_handle_ = 1;
};

// Runs the new-PassManager default pipeline for `opt_level` (0..3) over `m`.
// `tm` supplies the target's cost model (vector width etc.); when null a host
// TargetMachine is created. Sets the module's triple/data layout if unset.
// The JIT uses this very function, so `pipec explain --ir` shows the real IR.
llvm::Error optimize_module(llvm::Module& m, int opt_level, llvm::TargetMachine* tm = nullptr);

// Renders an llvm::Error (consuming it) as a one-line pipec message.
std::string jit_error_message(llvm::Error error);

}  // namespace pipec::jit
