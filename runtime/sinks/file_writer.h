// Unbuffered, error-checked writes to a file or to standard output, shared by
// the file/stdout sinks and the dead-letter queue. Callers batch their bytes
// (ByteBuffer) and write them in large pieces. Every failure is a RunError
// naming the path and the reason, so an unwritable output stops the run with
// a clear message instead of silently losing documents.
#pragma once

#include <string>
#include <string_view>

namespace pipec {

class FileWriter {
 public:
  // "-" means standard output. `append`: open() keeps an existing file's
  // content and writes after it.
  explicit FileWriter(std::string path, bool append = false) : path_(std::move(path)), append_(append) {}
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Creates missing parent directories and opens the file, truncating it
  // unless appending.
  void open();
  bool is_open() const { return fd_ >= 0; }
  void write(std::string_view bytes);
  // fdatasync: what was written survives a machine crash (called before
  // source offsets are committed past it; a no-op for pipes and terminals).
  void sync();
  void close();

  const std::string& path() const { return path_; }
  bool is_stdout() const { return path_ == "-"; }

 private:
  std::string path_;
  bool append_ = false;
  int fd_ = -1;
};

// mkdir -p of the directory part of `path`; empty on success, else why not.
std::string create_parent_directories(const std::string& path);

}  // namespace pipec
