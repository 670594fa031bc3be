#include "runtime/delivery/dead_letter_queue.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "runtime/exec/run_error.h"

namespace pipec {

namespace {
constexpr size_t kFlushBytes = 1 << 20;
}

int64_t wall_clock_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

DeadLetterQueue::DeadLetterQueue(std::string pipeline, std::vector<SourceDescriptor> sources, std::string path)
    : clock(&wall_clock_millis), encoder_(std::move(pipeline), std::move(sources)), writer_(std::move(path)) {}

void DeadLetterQueue::open() {
  // Fail before any input is read when letters could not be written later.
  const std::string& path = writer_.path();
  std::string error = create_parent_directories(path);
  if (!error.empty()) throw RunError::io("cannot write dead letters to '" + path + "': " + error);
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (::access(dir.empty() ? "." : dir.c_str(), W_OK) != 0)
    throw RunError::io("cannot write dead letters to '" + path + "': " + std::strerror(errno));
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) writer_.open();  // truncates the old run's letters
}

void DeadLetterQueue::add(std::string_view reason_key, std::string_view error, std::string_view constraint,
                          std::string_view record, SourcePosition pos) {
  encoder_.encode(DeadLetter{error, constraint, record, pos}, clock(), buffer_);
  ++counts_[std::string(reason_key)];
  ++total_;
  if (buffer_.size() >= kFlushBytes) flush();
}

void DeadLetterQueue::flush() {
  if (buffer_.empty()) return;
  writer_.write(buffer_.view());
  buffer_.clear();
}

void DeadLetterQueue::close() {
  flush();
  writer_.close();
}

}  // namespace pipec
