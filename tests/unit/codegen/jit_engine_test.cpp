#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Support/xxhash.h>

#include "compiler/jit/jit_engine.h"

using namespace pipec::jit;

namespace {

// Unwraps an Expected in a test, failing with the pipec-style message.
template <typename T>
T must(llvm::Expected<T> value) {
  if (!value) FAIL(jit_error_message(value.takeError()));
  return std::move(*value);
}
void must(llvm::Error err) {
  if (err) FAIL(jit_error_message(std::move(err)));
}

std::unique_ptr<JitEngine> engine(JitOptions options = {}) { return must(JitEngine::create(std::move(options))); }
JitOptions at_level(int opt_level) {
  JitOptions options;
  options.opt_level = opt_level;
  return options;
}

struct ModuleBuilder {
  std::unique_ptr<llvm::LLVMContext> ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> mod = std::make_unique<llvm::Module>("test", *ctx);
  llvm::IRBuilder<> b{*ctx};
  llvm::Type* i64 = b.getInt64Ty();

  llvm::Function* function(const std::string& name, std::vector<llvm::Type*> params) {
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(i64, params, false),
                                      llvm::Function::ExternalLinkage, name, *mod);
    b.SetInsertPoint(llvm::BasicBlock::Create(*ctx, "entry", fn));
    return fn;
  }
  llvm::orc::ThreadSafeModule take() { return {std::move(mod), std::move(ctx)}; }
};

// i64 name(i64 a, i64 b) { return a + b + bias; }
llvm::orc::ThreadSafeModule add_module_ir(const std::string& name = "add", int64_t bias = 0) {
  ModuleBuilder mb;
  auto* fn = mb.function(name, {mb.i64, mb.i64});
  mb.b.CreateRet(mb.b.CreateAdd(mb.b.CreateAdd(fn->getArg(0), fn->getArg(1)), mb.b.getInt64(bias)));
  return mb.take();
}

// i64 sum(i64* p, i64 n): a plain counted loop the loop vectorizer should widen.
std::unique_ptr<llvm::Module> sum_module(ModuleBuilder& mb) {
  auto& b = mb.b;
  auto* fn = mb.function("sum", {b.getPtrTy(), mb.i64});
  auto* entry = b.GetInsertBlock();
  auto* loop = llvm::BasicBlock::Create(*mb.ctx, "loop", fn);
  auto* exit = llvm::BasicBlock::Create(*mb.ctx, "exit", fn);
  b.CreateCondBr(b.CreateICmpSGT(fn->getArg(1), b.getInt64(0)), loop, exit);
  b.SetInsertPoint(loop);
  auto* i = b.CreatePHI(mb.i64, 2);
  auto* acc = b.CreatePHI(mb.i64, 2);
  auto* v = b.CreateLoad(mb.i64, b.CreateGEP(mb.i64, fn->getArg(0), i));
  auto* acc_next = b.CreateAdd(acc, v);
  auto* i_next = b.CreateAdd(i, b.getInt64(1));
  b.CreateCondBr(b.CreateICmpSLT(i_next, fn->getArg(1)), loop, exit);
  i->addIncoming(b.getInt64(0), entry);
  i->addIncoming(i_next, loop);
  acc->addIncoming(b.getInt64(0), entry);
  acc->addIncoming(acc_next, loop);
  b.SetInsertPoint(exit);
  auto* result = b.CreatePHI(mb.i64, 2);
  result->addIncoming(b.getInt64(0), entry);
  result->addIncoming(acc_next, loop);
  b.CreateRet(result);
  return std::move(mb.mod);
}

// i64 call_host(i64 x) { return host_twice(x) + 1; }
llvm::orc::ThreadSafeModule call_host_ir() {
  ModuleBuilder mb;
  auto callee = mb.mod->getOrInsertFunction("host_twice", mb.i64, mb.i64);
  auto* fn = mb.function("call_host", {mb.i64});
  mb.b.CreateRet(mb.b.CreateAdd(mb.b.CreateCall(callee, {fn->getArg(0)}), mb.b.getInt64(1)));
  return mb.take();
}

extern "C" int64_t host_twice(int64_t x) { return 2 * x; }

struct TempDir {
  llvm::SmallString<128> path;
  TempDir() { REQUIRE(!llvm::sys::fs::createUniqueDirectory("pipec-jit-test", path)); }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string str() const { return std::string(path); }
};

int count_files(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) ++n;
  return n;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("jit: adds two i64s") {
  auto jit = engine();
  must(jit->add_module(add_module_ir()));
  auto* add = must(jit->lookup<int64_t(int64_t, int64_t)>("add"));
  CHECK(add(2, 40) == 42);
  CHECK(add(-5, INT64_C(1) << 40) == (INT64_C(1) << 40) - 5);
  CHECK_FALSE(jit->last_stats().cache_hit);
  CHECK(jit->last_stats().optimize_ms > 0);
  CHECK(jit->last_stats().codegen_ms > 0);
  CHECK_FALSE(jit->target_cpu().empty());
}

TEST_CASE("jit: vectorized array sum is correct for every length") {
  // The host pipeline vectorizes the loop (proved on the IR), and the compiled
  // code must still handle the scalar remainder and empty input.
  {
    ModuleBuilder mb;
    auto m = sum_module(mb);
    must(optimize_module(*m, 2));
    std::string ir;
    llvm::raw_string_ostream(ir) << *m;
    CHECK(ir.find("vector.body") != std::string::npos);
  }
  for (int level : {0, 2, 3}) {
    CAPTURE(level);
    auto jit = engine(at_level(level));
    ModuleBuilder mb;
    auto m = sum_module(mb);
    must(jit->add_module({std::move(m), std::move(mb.ctx)}));
    auto* sum = must(jit->lookup<int64_t(const int64_t*, int64_t)>("sum"));
    for (int64_t n : {0, 1, 7, 1000}) {
      std::vector<int64_t> data(static_cast<size_t>(n) + 1);
      std::iota(data.begin(), data.end(), -3);
      CAPTURE(n);
      CHECK(sum(data.data(), n) == std::accumulate(data.begin(), data.begin() + n, int64_t{0}));
    }
  }
}

TEST_CASE("jit: calls registered host functions and libc") {
  auto jit = engine();
  must(jit->register_symbols({{"host_twice", reinterpret_cast<void*>(&host_twice)}}));
  must(jit->add_module(call_host_ir()));
  auto* call_host = must(jit->lookup<int64_t(int64_t)>("call_host"));
  CHECK(call_host(20) == 41);

  // strlen comes from the process through the search generator.
  ModuleBuilder mb;
  auto strlen_fn = mb.mod->getOrInsertFunction("strlen", mb.i64, mb.b.getPtrTy());
  auto* fn = mb.function("my_strlen", {mb.b.getPtrTy()});
  mb.b.CreateRet(mb.b.CreateCall(strlen_fn, {fn->getArg(0)}));
  must(jit->add_module(mb.take()));
  CHECK(must(jit->lookup<int64_t(const char*)>("my_strlen"))("pipec") == 5);
}

TEST_CASE("jit: errors are reported, not fatal") {
  auto jit = engine();
  auto missing = jit->lookup<int64_t()>("nope");
  REQUIRE_FALSE(missing);
  CHECK(jit_error_message(missing.takeError()).find("nope") != std::string::npos);

  // A call to a symbol nobody defines fails the add with the symbol's name.
  auto unresolved = jit->add_module(call_host_ir());
  REQUIRE_FALSE(unresolved);
  CHECK(jit_error_message(unresolved.takeError()).find("host_twice") != std::string::npos);

  // Invalid IR (a block without terminator) is caught by the verifier.
  ModuleBuilder mb;
  mb.function("broken", {});
  auto broken = jit->add_module(mb.take());
  REQUIRE_FALSE(broken);
  CHECK(jit_error_message(broken.takeError()).find("invalid IR") != std::string::npos);

  // Duplicate definitions are refused; the first one keeps working.
  must(jit->add_module(add_module_ir()));
  auto dup = jit->add_module(add_module_ir());
  REQUIRE_FALSE(dup);
  CHECK(!jit_error_message(dup.takeError()).empty());
  CHECK(must(jit->lookup<int64_t(int64_t, int64_t)>("add"))(1, 2) == 3);

  auto bad_level = JitEngine::create(at_level(7));
  REQUIRE_FALSE(bad_level);
  CHECK(jit_error_message(bad_level.takeError()).find("0..3") != std::string::npos);
  CHECK(!jit_error_message(jit->remove_module(12345)).empty());
}

TEST_CASE("jit: modules coexist and remove_module frees one") {
  auto jit = engine();
  auto first = must(jit->add_module(add_module_ir("f1", 100)));
  must(jit->add_module(add_module_ir("f2", 200)));
  CHECK(must(jit->lookup<int64_t(int64_t, int64_t)>("f1"))(1, 1) == 102);
  CHECK(must(jit->lookup<int64_t(int64_t, int64_t)>("f2"))(1, 1) == 202);

  must(jit->remove_module(first));
  auto gone = jit->lookup<int64_t(int64_t, int64_t)>("f1");
  CHECK_FALSE(gone);
  llvm::consumeError(gone.takeError());
  CHECK(must(jit->lookup<int64_t(int64_t, int64_t)>("f2"))(1, 1) == 202);
  // The name is free again.
  must(jit->add_module(add_module_ir("f1", 300)));
  CHECK(must(jit->lookup<int64_t(int64_t, int64_t)>("f1"))(1, 1) == 302);
}

TEST_CASE("jit: disk object cache") {
  TempDir dir;
  const JitOptions options{.opt_level = 2, .cache_dir = dir.str(), .cache_namespace = "unit test"};
  const std::string key = "plan-hash-K";
  std::string path;
  double cold_ms = 0;

  SUBCASE("miss writes a file, a new engine hits it") {
    {
      auto jit = engine(options);
      path = jit->cache_path(key);
      CHECK(path.find("pipec-unit_test-") != std::string::npos);
      must(jit->add_module(add_module_ir(), key));
      CHECK_FALSE(jit->last_stats().cache_hit);
      CHECK(jit->last_stats().cache_stored);
      CHECK(jit->last_stats().cache_note == "");
      CHECK(llvm::sys::fs::exists(path));
      CHECK(count_files(dir.str()) == 1);  // no temp files left behind
      cold_ms = jit->last_stats().total_ms;
    }
    auto jit = engine(options);
    must(jit->add_module(add_module_ir(), key));
    const JitStats& stats = jit->last_stats();
    CHECK(stats.cache_hit);
    CHECK(stats.optimize_ms == 0);
    CHECK(stats.codegen_ms == 0);
    CHECK(must(jit->lookup<int64_t(int64_t, int64_t)>("add"))(20, 22) == 42);
    if (std::getenv("PIPEC_JIT_TIMING"))
      MESSAGE("cold add " << cold_ms << " ms, cached add " << stats.total_ms << " ms");

    // A caller can skip building IR altogether.
    auto other = engine(options);
    auto cached = must(other->try_add_cached(key));
    REQUIRE(cached.has_value());
    CHECK(must(other->lookup<int64_t(int64_t, int64_t)>("add"))(1, 2) == 3);
    CHECK_FALSE(must(other->try_add_cached("never-compiled")).has_value());
  }

  SUBCASE("a different key, opt level, codegen level or namespace misses") {
    must(engine(options)->add_module(add_module_ir(), key));
    auto jit = engine(options);
    must(jit->add_module(add_module_ir(), "plan-hash-other"));
    CHECK_FALSE(jit->last_stats().cache_hit);
    JitOptions o3 = options;
    o3.opt_level = 3;
    auto jit3 = engine(o3);
    must(jit3->add_module(add_module_ir(), key));
    CHECK_FALSE(jit3->last_stats().cache_hit);
    JitOptions cg2 = options;
    cg2.codegen_opt_level = 2;
    auto jitcg2 = engine(cg2);
    must(jitcg2->add_module(add_module_ir(), key));
    CHECK_FALSE(jitcg2->last_stats().cache_hit);
    CHECK(must(jitcg2->lookup<int64_t(int64_t, int64_t)>("add"))(20, 22) == 42);
    JitOptions ns = options;
    ns.cache_namespace = "someone else";
    auto jitns = engine(ns);
    must(jitns->add_module(add_module_ir(), key));
    CHECK_FALSE(jitns->last_stats().cache_hit);
  }

  SUBCASE("corrupt or truncated files are ignored and rewritten") {
    {
      auto jit = engine(options);
      path = jit->cache_path(key);
      must(jit->add_module(add_module_ir(), key));
    }
    const std::string good = read_file(path);
    REQUIRE(good.size() > 64);
    std::string flipped = good;
    flipped[flipped.size() - 10] ^= 0x5a;
    for (const std::string& bad : {good.substr(0, good.size() / 2), flipped, std::string("junk"), std::string()}) {
      write_file(path, bad);
      auto jit = engine(options);
      must(jit->add_module(add_module_ir(), key));
      CHECK_FALSE(jit->last_stats().cache_hit);
      CHECK(jit->last_stats().cache_stored);
      CHECK(jit->last_stats().cache_note.find("ignored cache file") != std::string::npos);
      CHECK(must(jit->lookup<int64_t(int64_t, int64_t)>("add"))(40, 2) == 42);
      CHECK(read_file(path) == good);  // recompiling is deterministic
    }
    auto jit = engine(options);
    must(jit->add_module(add_module_ir(), key));
    CHECK(jit->last_stats().cache_hit);
  }

  SUBCASE("a well-formed file holding a bogus object is dropped and rebuilt") {
    {
      auto jit = engine(options);
      path = jit->cache_path(key);
      must(jit->add_module(add_module_ir(), key));
    }
    const std::string good = read_file(path);
    // Layout (object_cache.cpp): 32-byte header {magic, format, identity_len,
    // payload_len @16, payload_hash @24}, identity, payload.
    uint64_t payload_len = 0;
    std::memcpy(&payload_len, good.data() + 16, 8);
    REQUIRE(payload_len < good.size());
    const std::string payload = "certainly not an ELF object";
    std::string forged = good.substr(0, good.size() - payload_len) + payload;
    const uint64_t len = payload.size(), hash = llvm::xxHash64(payload);
    std::memcpy(forged.data() + 16, &len, 8);
    std::memcpy(forged.data() + 24, &hash, 8);
    write_file(path, forged);

    auto jit = engine(options);
    CHECK_FALSE(must(jit->try_add_cached(key)).has_value());
    CHECK(jit->last_stats().cache_note.find("ignored cache file") != std::string::npos);
    write_file(path, forged);
    must(jit->add_module(add_module_ir(), key));
    CHECK_FALSE(jit->last_stats().cache_hit);
    CHECK(jit->last_stats().cache_stored);
    CHECK(must(jit->lookup<int64_t(int64_t, int64_t)>("add"))(40, 2) == 42);
    CHECK(read_file(path) == good);
  }

  SUBCASE("engines on several threads share one cache directory") {
    // Each writer renames a complete temp file into place, so whoever reads
    // sees a whole object; afterwards exactly one file remains.
    std::vector<std::thread> threads;
    std::vector<int64_t> results(4, 0);
    for (size_t t = 0; t < results.size(); ++t)
      threads.emplace_back([&, t] {
        auto jit = JitEngine::create(options);
        if (!jit) return llvm::consumeError(jit.takeError());
        auto handle = (*jit)->add_module(add_module_ir(), key);
        if (!handle) return llvm::consumeError(handle.takeError());
        if (auto fn = (*jit)->lookup<int64_t(int64_t, int64_t)>("add")) results[t] = (*fn)(int64_t(t), 42);
        else llvm::consumeError(fn.takeError());
      });
    for (auto& t : threads) t.join();
    for (size_t t = 0; t < results.size(); ++t) CHECK(results[t] == int64_t(t) + 42);
    CHECK(count_files(dir.str()) == 1);
  }

  SUBCASE("no cache dir: nothing written") {
    auto jit = engine();
    must(jit->add_module(add_module_ir(), key));
    CHECK_FALSE(jit->last_stats().cache_stored);
    CHECK(jit->cache_path(key).empty());
    CHECK(count_files(dir.str()) == 0);
  }
}
