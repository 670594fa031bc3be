#include "runtime/delivery/dead_letter_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "runtime/exec/run_error.h"

namespace pipec {

namespace {
constexpr size_t kWriteBytes = 1 << 20;
}

FileDeadLetterOutput::FileDeadLetterOutput(std::string pipeline, std::vector<SourceDescriptor> sources,
                                           std::string path)
    : encoder_(std::move(pipeline), std::move(sources)), writer_(std::move(path)) {}

void FileDeadLetterOutput::open() {
  const std::string& path = writer_.path();
  std::string error = create_parent_directories(path);
  if (!error.empty()) throw RunError::io("cannot write dead letters to '" + path + "': " + error);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (::access(dir.empty() ? "." : dir.c_str(), W_OK) != 0)
    throw RunError::io("cannot write dead letters to '" + path + "': " + std::strerror(errno));
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) writer_.open();  // truncates the old run's letters
}

void FileDeadLetterOutput::write(const DeadLetter& letter, int64_t time_millis, Ticket hold) {
  encoder_.encode(letter, time_millis, buffer_);
  if (hold.valid()) holds_.push_back(hold);
  if (buffer_.size() >= kWriteBytes) {
    writer_.write(buffer_.view());
    buffer_.clear();
  }
}

void FileDeadLetterOutput::flush() {
  if (!buffer_.empty()) {
    writer_.write(buffer_.view());
    buffer_.clear();
  }
  if (holds_.empty()) return;
  // Only letters of committable sources (Kafka) hold anything: sync before
  // their offsets may be committed, at most once per commit.
  writer_.sync();
  for (Ticket t : holds_) release(t);
  holds_.clear();
}

void FileDeadLetterOutput::close() {
  flush();
  writer_.close();
}

}  // namespace pipec
