#include "compiler/jit/jit_engine.h"

#include <chrono>

#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/ObjectFileInterface.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>

#include "compiler/jit/object_cache.h"
#include "pipec_version.h"

namespace pipec::jit {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

llvm::Error error(const std::string& message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

// LLVM's target registry is global; initialize it once for all engines/threads.
llvm::Error init_native_target() {
  static const bool failed = [] {
    return llvm::InitializeNativeTarget() || llvm::InitializeNativeTargetAsmPrinter() ||
           llvm::InitializeNativeTargetAsmParser();
  }();
  return failed ? error("LLVM has no native target for this host") : llvm::Error::success();
}

llvm::CodeGenOpt::Level codegen_level(int opt_level) {
  switch (opt_level) {
    case 0: return llvm::CodeGenOpt::None;
    case 1: return llvm::CodeGenOpt::Less;
    case 3: return llvm::CodeGenOpt::Aggressive;
    default: return llvm::CodeGenOpt::Default;
  }
}

// The compile layer's compiler, plus a stopwatch. It also consults the object
// cache, but only after the IR transform ran, which is why the engine checks
// the cache itself before handing IR to ORC.
class TimedCompiler : public llvm::orc::TMOwningSimpleCompiler {
 public:
  TimedCompiler(std::unique_ptr<llvm::TargetMachine> tm, llvm::ObjectCache* cache, double* ms)
      : TMOwningSimpleCompiler(std::move(tm), cache), ms_(ms) {}
  llvm::Expected<CompileResult> operator()(llvm::Module& m) override {
    auto t0 = Clock::now();
    auto object = SimpleCompiler::operator()(m);
    *ms_ += ms_since(t0);
    return object;
  }

 private:
  double* ms_;
};

}  // namespace

llvm::Error optimize_module(llvm::Module& m, int opt_level, llvm::TargetMachine* tm) {
  if (opt_level < 0 || opt_level > 3) return error("optimization level must be 0..3");
  std::unique_ptr<llvm::TargetMachine> host_tm;
  if (!tm) {
    if (auto err = init_native_target()) return err;
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) return jtmb.takeError();
    jtmb->setCodeGenOptLevel(codegen_level(opt_level));
    auto created = jtmb->createTargetMachine();
    if (!created) return created.takeError();
    host_tm = std::move(*created);
    tm = host_tm.get();
  }
  if (m.getTargetTriple().empty()) m.setTargetTriple(tm->getTargetTriple().str());
  if (m.getDataLayoutStr().empty()) m.setDataLayout(tm->createDataLayout());

  // Bad IR from codegen must become an error here, not a crash in a pass.
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(m, &os)) return error("invalid IR in module '" + m.getName().str() + "': " + os.str());

  // Same knobs clang uses for -O<n>.
  llvm::PipelineTuningOptions pto;
  pto.LoopVectorization = opt_level >= 2;
  pto.SLPVectorization = opt_level >= 2;
  pto.LoopUnrolling = opt_level >= 2;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm, pto);  // tm => the host's cost model (SIMD width)
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  static const llvm::OptimizationLevel levels[] = {llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1,
                                                   llvm::OptimizationLevel::O2, llvm::OptimizationLevel::O3};
  llvm::ModulePassManager mpm = opt_level == 0 ? pb.buildO0DefaultPipeline(levels[0])
                                               : pb.buildPerModuleDefaultPipeline(levels[opt_level]);
  mpm.run(m, mam);
  return llvm::Error::success();
}

std::string jit_error_message(llvm::Error err) {
  if (!err) return {};
  std::string text = llvm::toString(std::move(err));
  for (char& c : text)
    if (c == '\n') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return "JIT: " + text;
}

JitEngine::JitEngine(JitOptions options) : options_(std::move(options)) {}
JitEngine::~JitEngine() = default;

llvm::Expected<std::unique_ptr<JitEngine>> JitEngine::create(JitOptions options) {
  if (options.opt_level < 0 || options.opt_level > 3 || options.codegen_opt_level < 0 || options.codegen_opt_level > 3)
    return error("optimization level must be 0..3");
  std::unique_ptr<JitEngine> engine(new JitEngine(std::move(options)));
  if (auto err = engine->init()) return err;
  return engine;
}

llvm::Error JitEngine::init() {
  if (auto err = init_native_target()) return err;
  // detectHost fills in the host CPU and its features, so vectorized code uses
  // whatever SIMD this machine has (and the cache key must say so).
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return jtmb.takeError();
  jtmb->setCodeGenOptLevel(codegen_level(options_.codegen_opt_level));
  cpu_ = jtmb->getCPU();
  features_ = jtmb->getFeatures().getString();
  auto tm = jtmb->createTargetMachine();
  if (!tm) return tm.takeError();
  opt_tm_ = std::move(*tm);

  if (!options_.cache_dir.empty()) {
    std::string fingerprint = "pipec " PIPEC_VERSION " llvm " PIPEC_LLVM_VERSION " O" +
                              std::to_string(options_.opt_level) + " CG" +
                              std::to_string(options_.codegen_opt_level) + " " + jtmb->getTargetTriple().str() + " " +
                              cpu_ + " " + features_;
    cache_ = std::make_unique<DiskObjectCache>(options_.cache_dir, options_.cache_namespace, fingerprint);
  }

  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(*jtmb)
                 .setCompileFunctionCreator([this](llvm::orc::JITTargetMachineBuilder b)
                                                -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                   auto tm = b.createTargetMachine();
                   if (!tm) return tm.takeError();
                   return std::make_unique<TimedCompiler>(std::move(*tm), cache_.get(), &stats_.codegen_ms);
                 })
                 .create();
  if (!jit) return jit.takeError();
  jit_ = std::move(*jit);

  jit_->getExecutionSession().setErrorReporter([this](llvm::Error err) {
    std::lock_guard lock(session_error_mutex_);
    session_error_ += (session_error_.empty() ? "" : "; ") + llvm::toString(std::move(err));
  });

  // Optimization happens as modules pass through the transform layer. ORC runs
  // it on the thread doing the lookup (no compile threads), i.e. inside add_module.
  jit_->getIRTransformLayer().setTransform(
      [this](llvm::orc::ThreadSafeModule tsm,
             llvm::orc::MaterializationResponsibility&) -> llvm::Expected<llvm::orc::ThreadSafeModule> {
        auto t0 = Clock::now();
        llvm::Error err = tsm.withModuleDo([&](llvm::Module& m) { return optimize_module(m, options_.opt_level, opt_tm_.get()); });
        stats_.optimize_ms += ms_since(t0);
        if (err) return err;
        return tsm;
      });

  // libc and friends (memcpy, memcmp, ...) resolve from the running process.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      jit_->getDataLayout().getGlobalPrefix());
  if (!process) return process.takeError();
  jit_->getMainJITDylib().addGenerator(std::move(*process));
  return llvm::Error::success();
}

llvm::Error JitEngine::register_symbols(const std::vector<std::pair<std::string, void*>>& symbols) {
  llvm::orc::SymbolMap map;
  for (const auto& [name, address] : symbols) {
    if (!address) return error("host symbol '" + name + "' has a null address");
    map[jit_->mangleAndIntern(name)] =
        llvm::JITEvaluatedSymbol(llvm::pointerToJITTargetAddress(address),
                                 llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  }
  return jit_->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(map)));
}

llvm::Expected<ModuleHandle> JitEngine::add_module(llvm::orc::ThreadSafeModule module, const std::string& cache_key) {
  std::lock_guard lock(add_mutex_);
  auto t0 = Clock::now();
  stats_ = {};
  const bool caching = cache_ && !cache_key.empty();
  if (caching) {
    cache_->reset_report();
    // Checked before ORC sees the IR: a hit must not pay for the optimizer.
    if (auto object = cache_->load(cache_key)) {
      auto handle = add_object(std::move(object));
      if (handle) {
        stats_.cache_hit = true;
        stats_.total_ms = ms_since(t0);
        return handle;
      }
      // Passed the checksum yet unusable (e.g. a foreign object): recompile.
      // The file goes first, or the compile layer's own cache look would
      // hand the same bad object back instead of compiling.
      stats_.cache_note = "ignored cache file: " + jit_error_message(handle.takeError());
      cache_->discard(cache_key);
    }
  }

  llvm::orc::SymbolLookupSet defined;
  module.withModuleDo([&](llvm::Module& m) {
    if (caching) m.setModuleIdentifier(DiskObjectCache::kModuleTag + cache_key);
    for (const llvm::GlobalValue& g : m.global_values())
      if (!g.isDeclaration() && g.hasExternalLinkage()) defined.add(jit_->mangleAndIntern(g.getName()));
  });
  auto tracker = jit_->getMainJITDylib().createResourceTracker();
  if (auto err = jit_->addIRModule(tracker, std::move(module))) return err;
  if (auto err = materialize(std::move(defined))) {
    llvm::consumeError(tracker->remove());
    return err;
  }
  if (caching) {
    stats_.cache_stored = cache_->stored();
    if (stats_.cache_note.empty()) stats_.cache_note = cache_->note();
  }
  stats_.total_ms = ms_since(t0);
  return track(std::move(tracker));
}

llvm::Expected<std::optional<ModuleHandle>> JitEngine::try_add_cached(const std::string& cache_key) {
  std::lock_guard lock(add_mutex_);
  auto t0 = Clock::now();
  stats_ = {};
  if (!cache_ || cache_key.empty()) return std::nullopt;
  cache_->reset_report();
  auto object = cache_->load(cache_key);
  stats_.cache_note = cache_->note();
  if (!object) return std::nullopt;
  auto handle = add_object(std::move(object));
  if (!handle) {
    stats_.cache_note = "ignored cache file: " + jit_error_message(handle.takeError());
    cache_->discard(cache_key);
    return std::nullopt;
  }
  stats_.cache_hit = true;
  stats_.total_ms = ms_since(t0);
  return *handle;
}

llvm::Expected<ModuleHandle> JitEngine::add_object(std::unique_ptr<llvm::MemoryBuffer> object) {
  // Same symbol table ORC will derive; we need it to link eagerly.
  auto iface = llvm::orc::getObjectFileInterface(jit_->getExecutionSession(), object->getMemBufferRef());
  if (!iface) return iface.takeError();
  llvm::orc::SymbolLookupSet defined;
  for (const auto& [name, flags] : iface->SymbolFlags)
    if (flags.isExported()) defined.add(name);
  auto tracker = jit_->getMainJITDylib().createResourceTracker();
  if (auto err = jit_->addObjectFile(tracker, std::move(object))) return err;
  if (auto err = materialize(std::move(defined))) {
    llvm::consumeError(tracker->remove());
    return err;
  }
  return track(std::move(tracker));
}

llvm::Error JitEngine::materialize(llvm::orc::SymbolLookupSet symbols) {
  if (symbols.empty()) return llvm::Error::success();
  {
    std::lock_guard lock(session_error_mutex_);
    session_error_.clear();
  }
  auto& es = jit_->getExecutionSession();
  auto found = es.lookup(llvm::orc::makeJITDylibSearchOrder(&jit_->getMainJITDylib()), std::move(symbols));
  if (!found) return with_session_errors(found.takeError());
  return llvm::Error::success();
}

llvm::Error JitEngine::with_session_errors(llvm::Error err) {
  std::lock_guard lock(session_error_mutex_);
  if (session_error_.empty()) return err;
  std::string reason = std::move(session_error_);
  session_error_.clear();
  return error(reason + " (" + llvm::toString(std::move(err)) + ")");
}

ModuleHandle JitEngine::track(llvm::orc::ResourceTrackerSP tracker) {
  ModuleHandle handle = next_handle_++;
  modules_.emplace(handle, std::move(tracker));
  return handle;
}

llvm::Error JitEngine::remove_module(ModuleHandle handle) {
  std::lock_guard lock(add_mutex_);
  auto it = modules_.find(handle);
  if (it == modules_.end()) return error("no module with handle " + std::to_string(handle));
  auto tracker = std::move(it->second);
  modules_.erase(it);
  return tracker->remove();
}

llvm::Expected<llvm::orc::ExecutorAddr> JitEngine::lookup_address(const std::string& name) {
  return jit_->lookup(name);
}

std::string JitEngine::cache_path(const std::string& cache_key) const {
  return cache_ ? cache_->path_for(cache_key) : std::string();
}

}  // namespace pipec::jit
