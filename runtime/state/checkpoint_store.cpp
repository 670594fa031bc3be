#include "runtime/state/checkpoint_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <xxhash.h>

#include "runtime/exec/run_error.h"

namespace pipec {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "PIPECCKP";
constexpr size_t kHeaderBytes = 8 + 4 + 8 + 8;
constexpr std::string_view kPrefix = "chk-";
constexpr std::string_view kSuffix = ".ckpt";

// The id of a checkpoint file name, or nullopt for other files.
std::optional<uint64_t> id_of(const std::string& name) {
  if (name.size() != kPrefix.size() + 20 + kSuffix.size() || name.rfind(kPrefix, 0) != 0 ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0)
    return std::nullopt;
  uint64_t id = 0;
  for (size_t i = kPrefix.size(); i < kPrefix.size() + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    id = id * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return id;
}

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw RunError::io("cannot write checkpoint " + path + ": " + errno_text());
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) throw RunError::io("cannot open checkpoint directory " + dir + ": " + errno_text());
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) throw RunError::io("cannot sync checkpoint directory " + dir + ": " + errno_text());
}

}  // namespace

std::string encode_checkpoint(const CheckpointData& c) {
  StateWriter p;
  p.u64(c.id);
  p.i64(c.created_ms);
  p.str(c.pipeline);
  p.str(c.identity);
  p.u64(c.positions.size());
  for (const SourceOffset& o : c.positions) {
    p.str(o.topic);
    p.u32(static_cast<uint32_t>(o.partition));
    p.i64(o.next_offset);
  }
  p.u64(c.operator_states.size());
  for (const std::string& s : c.operator_states) p.str(s);
  const std::string& payload = p.bytes();
  StateWriter file;
  for (char ch : kMagic) file.u8(static_cast<uint8_t>(ch));
  file.u32(kCheckpointFormatVersion);
  file.u64(payload.size());
  file.u64(XXH64(payload.data(), payload.size(), 0));
  std::string out = file.take();
  out += payload;
  return out;
}

CheckpointData decode_checkpoint(std::string_view file) {
  if (file.size() < kHeaderBytes)
    throw StateFormatError(fmt::format("truncated: {} bytes, shorter than the {}-byte header", file.size(), kHeaderBytes));
  if (file.substr(0, kMagic.size()) != kMagic) throw StateFormatError("not a pipec checkpoint (bad magic bytes)");
  StateReader header(file.substr(kMagic.size(), kHeaderBytes - kMagic.size()));
  uint32_t version = header.u32();
  if (version != kCheckpointFormatVersion)
    throw StateFormatError(fmt::format("format version {}, this pipec reads version {}", version, kCheckpointFormatVersion));
  uint64_t length = header.u64();
  uint64_t checksum = header.u64();
  std::string_view payload = file.substr(kHeaderBytes);
  if (payload.size() != length)
    throw StateFormatError(fmt::format("truncated: the header announces {} payload bytes, the file has {}", length,
                                       payload.size()));
  uint64_t actual = XXH64(payload.data(), payload.size(), 0);
  if (actual != checksum)
    throw StateFormatError(fmt::format("checksum mismatch (stored {:016x}, computed {:016x}): the file is damaged",
                                       checksum, actual));
  StateReader p(payload);
  CheckpointData c;
  c.id = p.u64();
  c.created_ms = p.i64();
  c.pipeline = p.str();
  c.identity = p.str();
  for (uint64_t n = p.count(4 + 4 + 8); n > 0; --n) {
    SourceOffset o;
    o.topic = p.str();
    o.partition = static_cast<int32_t>(p.u32());
    o.next_offset = p.i64();
    c.positions.push_back(std::move(o));
  }
  for (uint64_t n = p.count(4); n > 0; --n) c.operator_states.push_back(p.str());
  if (!p.done()) throw StateFormatError(fmt::format("{} unexpected bytes after the checkpoint", p.remaining()));
  return c;
}

CheckpointStore::CheckpointStore(std::string dir, size_t retained) : dir_(std::move(dir)), retained_(std::max<size_t>(retained, 1)) {}

std::vector<std::string> CheckpointStore::list() const {
  std::vector<std::pair<uint64_t, std::string>> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
    if (auto id = id_of(it->path().filename().string())) found.emplace_back(*id, it->path().string());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

uint64_t CheckpointStore::last_id() const {
  std::vector<std::string> files = list();
  return files.empty() ? 0 : id_of(fs::path(files.front()).filename().string()).value_or(0);
}

std::string CheckpointStore::read(const std::string& path) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StateFormatError("cannot read: " + errno_text());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

size_t CheckpointStore::write(const CheckpointData& c) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw RunError::io("cannot create checkpoint directory " + dir_ + ": " + ec.message());
  const std::string name = fmt::format("{}{:020}{}", kPrefix, c.id, kSuffix);
  const std::string path = (fs::path(dir_) / name).string();
  const std::string tmp = (fs::path(dir_) / ("." + name + ".tmp")).string();
  const std::string bytes = encode_checkpoint(c);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RunError::io("cannot create checkpoint " + tmp + ": " + errno_text());
  try {
    write_all(fd, bytes, tmp);
    if (::fsync(fd) != 0) throw RunError::io("cannot sync checkpoint " + tmp + ": " + errno_text());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw RunError::io("cannot rename checkpoint " + tmp + " to " + path + ": " + why);
  }
  fsync_dir(dir_);
  // Retention, and temporary files of writes a crash interrupted.
  std::vector<std::string> files = list();
  for (size_t i = retained_; i < files.size(); ++i) fs::remove(files[i], ec);
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string f = it->path().filename().string();
    if (f.size() > 5 && f[0] == '.' && f.rfind(".tmp") == f.size() - 4 && f != "." + name + ".tmp")
      fs::remove(it->path(), ec);
  }
  return bytes.size();
}

}  // namespace pipec
