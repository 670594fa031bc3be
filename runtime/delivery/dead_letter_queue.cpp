#include "runtime/delivery/dead_letter_queue.h"

#include <chrono>

namespace pipec {

int64_t wall_clock_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

DeadLetterQueue::DeadLetterQueue(std::unique_ptr<DeadLetterOutput> output)
    : clock(&wall_clock_millis), output_(std::move(output)) {}

DeadLetterQueue::DeadLetterQueue(std::string pipeline, std::vector<SourceDescriptor> sources, std::string path)
    : DeadLetterQueue(std::make_unique<FileDeadLetterOutput>(std::move(pipeline), std::move(sources), std::move(path))) {}

void DeadLetterQueue::set_holds(std::function<Ticket(const SourcePosition&)> acquire,
                                std::function<void(Ticket)> release) {
  acquire_ = std::move(acquire);
  output_->release_hold = std::move(release);
}

void DeadLetterQueue::open() { output_->open(); }

void DeadLetterQueue::add(std::string_view reason_key, std::string_view error, std::string_view constraint,
                          std::string_view record, SourcePosition pos) {
  Ticket hold = acquire_ ? acquire_(pos) : Ticket{};
  output_->write(DeadLetter{error, constraint, record, pos, reason_key}, clock(), hold);
  ++counts_[std::string(reason_key)];
  ++total_;
}

void DeadLetterQueue::flush() { output_->flush(); }

void DeadLetterQueue::close() { output_->close(); }

}  // namespace pipec
