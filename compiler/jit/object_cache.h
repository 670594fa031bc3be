// DiskObjectCache: compiled objects on disk, one file per (plan key, build).
//
// File name: <dir>/pipec-<namespace>-<hash>.o where the hash covers the caller's
// key plus a fingerprint of everything that changes the machine code (pipec and
// LLVM versions, opt level, host CPU and features). The file starts with a
// header carrying the full identity string, the payload size and a checksum, so
// a truncated/corrupt file or a name collision reads as a miss, never a crash.
// Files are written to a temp name then renamed, so readers never see half a file.
#pragma once

#include <memory>
#include <string>

#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/Support/MemoryBuffer.h>

namespace pipec::jit {

class DiskObjectCache : public llvm::ObjectCache {
 public:
  // Prefix of the module identifier that marks a module as cacheable; the rest
  // of the identifier is the caller's key. Uncached modules lack the prefix.
  static constexpr const char* kModuleTag = "pipec-cache:";

  DiskObjectCache(std::string dir, std::string name_space, std::string fingerprint);

  std::string path_for(const std::string& key) const;
  // A verified copy of the cached object, or null (note_ says why if not a plain miss).
  std::unique_ptr<llvm::MemoryBuffer> load(const std::string& key);
  bool store(const std::string& key, llvm::MemoryBufferRef object);
  // Drops a file that verified but would not load, so the recompile replaces it.
  void discard(const std::string& key);

  // llvm::ObjectCache, used by the compile layer (only for tagged modules).
  void notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef object) override;
  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* m) override;

  // Per-add bookkeeping, reset by the engine before each add.
  void reset_report() { stored_ = false; note_.clear(); }
  bool stored() const { return stored_; }
  const std::string& note() const { return note_; }

 private:
  std::string identity(const std::string& key) const;

  std::string dir_, namespace_, fingerprint_;
  bool stored_ = false;
  std::string note_;
};

}  // namespace pipec::jit
