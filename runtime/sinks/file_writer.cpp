#include "runtime/sinks/file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "runtime/exec/run_error.h"

namespace pipec {

std::string create_parent_directories(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return "cannot create directory '" + parent.string() + "': " + ec.message();
  return {};
}

FileWriter::~FileWriter() {
  if (fd_ > 2) ::close(fd_);
}

void FileWriter::open() {
  if (fd_ >= 0) return;
  if (is_stdout()) {
    fd_ = STDOUT_FILENO;
    return;
  }
  std::string dir_error = create_parent_directories(path_);
  if (!dir_error.empty()) throw RunError::io("cannot write '" + path_ + "': " + dir_error);
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append_ ? O_APPEND : O_TRUNC), 0644);
  if (fd < 0) throw RunError::io("cannot write '" + path_ + "': " + std::strerror(errno));
  fd_ = fd;
}

void FileWriter::write(std::string_view bytes) {
  if (fd_ < 0) open();
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RunError::io("cannot write '" + (is_stdout() ? std::string("<stdout>") : path_) +
                         "': " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void FileWriter::sync() {
  if (fd_ < 0) return;
  // EINVAL / EROFS: a pipe, a terminal or a special file, nothing to sync.
  if (::fdatasync(fd_) != 0 && errno != EINVAL && errno != EROFS)
    throw RunError::io("cannot write '" + (is_stdout() ? std::string("<stdout>") : path_) +
                       "': " + std::strerror(errno));
}

void FileWriter::close() {
  if (fd_ > 2) {
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) throw RunError::io("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  fd_ = -1;
}

}  // namespace pipec
