#include "runtime/delivery/dead_letter_queue.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

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
  std::error_code ec;
  if (std::filesystem::exists(writer_.path(), ec)) writer_.open();  // truncates the old run's letters
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
