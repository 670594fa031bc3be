#include "compiler/jit/object_cache.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>

#include <llvm/ADT/StringRef.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Support/xxhash.h>

namespace pipec::jit {
namespace {

// On-disk layout: Header, identity bytes, object bytes. Host byte order is fine:
// the fingerprint already pins the file to one kind of machine.
struct Header {
  char magic[8];
  std::uint32_t format;
  std::uint32_t identity_len;
  std::uint64_t payload_len;
  std::uint64_t payload_hash;  // xxHash64 of the object bytes
};
static_assert(sizeof(Header) == 32);
constexpr char kMagic[8] = {'P', 'I', 'P', 'E', 'C', 'O', 'B', 'J'};
constexpr std::uint32_t kFormat = 1;

std::string hex64(std::uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = digits[v & 15];
  return s;
}

}  // namespace

DiskObjectCache::DiskObjectCache(std::string dir, std::string name_space, std::string fingerprint)
    : dir_(std::move(dir)), namespace_(std::move(name_space)), fingerprint_(std::move(fingerprint)) {}

std::string DiskObjectCache::identity(const std::string& key) const {
  return namespace_ + '\n' + fingerprint_ + '\n' + key;
}

std::string DiskObjectCache::path_for(const std::string& key) const {
  // The namespace appears in clear (sanitized) so a directory listing says whose
  // files are whose; everything else only through the hash.
  std::string name = "pipec-";
  for (char c : namespace_) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  if (!namespace_.empty()) name += '-';
  name += hex64(llvm::xxHash64(identity(key))) + ".o";
  llvm::SmallString<256> path(dir_);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

std::unique_ptr<llvm::MemoryBuffer> DiskObjectCache::load(const std::string& key) {
  const std::string path = path_for(key);
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!file) {
    if (file.getError() != std::errc::no_such_file_or_directory)
      note_ = "cannot read cache file " + path + ": " + file.getError().message();
    return nullptr;
  }
  llvm::StringRef bytes = (*file)->getBuffer();
  auto reject = [&](const char* why) {
    note_ = "ignored cache file " + path + ": " + why;
    return nullptr;
  };
  Header h;
  if (bytes.size() < sizeof h) return reject("shorter than its header");
  std::memcpy(&h, bytes.data(), sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.format != kFormat) return reject("not a pipec object");
  const std::string id = identity(key);
  // Compare sizes without adding untrusted numbers (no overflow on garbage).
  const std::uint64_t rest = bytes.size() - sizeof h;
  if (h.identity_len != id.size() || h.identity_len > rest || h.payload_len != rest - h.identity_len)
    return reject("size mismatch (truncated?)");
  if (bytes.substr(sizeof h, id.size()) != id) return reject("belongs to another key");
  llvm::StringRef payload = bytes.substr(sizeof h + id.size());
  if (llvm::xxHash64(payload) != h.payload_hash) return reject("checksum mismatch");
  return llvm::MemoryBuffer::getMemBufferCopy(payload, path);
}

bool DiskObjectCache::store(const std::string& key, llvm::MemoryBufferRef object) {
  const std::string path = path_for(key);
  const std::string id = identity(key);
  if (auto ec = llvm::sys::fs::create_directories(dir_)) {
    note_ = "cannot create cache directory " + dir_ + ": " + ec.message();
    return false;
  }
  int fd = -1;
  llvm::SmallString<256> tmp;
  if (auto ec = llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, tmp)) {
    note_ = "cannot create cache file next to " + path + ": " + ec.message();
    return false;
  }
  Header h;
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.format = kFormat;
  h.identity_len = static_cast<std::uint32_t>(id.size());
  h.payload_len = object.getBufferSize();
  h.payload_hash = llvm::xxHash64(object.getBuffer());
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    out << id << object.getBuffer();
    out.close();
    if (out.has_error()) {
      note_ = "cannot write cache file " + std::string(tmp) + ": " + out.error().message();
      out.clear_error();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  }
  // rename() is atomic: concurrent readers see the old file or the whole new one.
  if (auto ec = llvm::sys::fs::rename(tmp, path)) {
    note_ = "cannot rename cache file into " + path + ": " + ec.message();
    llvm::sys::fs::remove(tmp);
    return false;
  }
  return true;
}

void DiskObjectCache::discard(const std::string& key) { llvm::sys::fs::remove(path_for(key)); }

static std::optional<std::string> key_of(const llvm::Module* m) {
  llvm::StringRef id = m->getModuleIdentifier();
  if (!id.consume_front(DiskObjectCache::kModuleTag)) return std::nullopt;
  return id.str();
}

void DiskObjectCache::notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef object) {
  if (auto key = key_of(m)) stored_ = store(*key, object);
}

std::unique_ptr<llvm::MemoryBuffer> DiskObjectCache::getObject(const llvm::Module* m) {
  // The engine already looked before optimizing; this second look only helps
  // when another process wrote the file in between.
  if (auto key = key_of(m)) return load(*key);
  return nullptr;
}

}  // namespace pipec::jit
