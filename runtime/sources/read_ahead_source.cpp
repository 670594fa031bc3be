#include "runtime/sources/read_ahead_source.h"

#include <utility>

namespace pipec {

ReadAheadSource::ReadAheadSource(std::unique_ptr<Source> inner, std::vector<PhysicalType> types, uint32_t capacity,
                                 size_t depth)
    : inner_(std::move(inner)) {
  for (size_t i = 0; i < std::max<size_t>(depth, 1); ++i)
    free_.push_back(std::make_unique<Slot>(Slot{Batch(types, capacity), {}, true, 0, 0, nullptr}));
}

ReadAheadSource::~ReadAheadSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (reader_.joinable()) reader_.join();
}

void ReadAheadSource::open() {
  inner_->open();  // on the caller's thread: its errors are the caller's
  reader_ = std::thread([this] { read_loop(); });
}

void ReadAheadSource::read_loop() {
  while (true) {
    std::unique_ptr<Slot> slot;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !free_.empty(); });
      if (stopping_) return;
      slot = std::move(free_.front());
      free_.pop_front();
    }
    slot->batch.reset();
    slot->errors.clear();
    try {
      slot->more = inner_->next(slot->batch, slot->errors);
    } catch (...) {
      slot->failure = std::current_exception();
      slot->more = false;
    }
    slot->records_read = inner_->records_read();
    slot->bytes_read = inner_->bytes_read();
    const bool last = !slot->more;
    {
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(slot));
    }
    changed_.notify_all();
    if (last) return;
  }
}

bool ReadAheadSource::next(Batch& batch, DecodeErrors& errors) {
  if (ended_) return false;
  std::unique_ptr<Slot> slot;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty(); });
    slot = std::move(ready_.front());
    ready_.pop_front();
  }
  // The caller's (reset) batch becomes the reader's next buffer.
  std::swap(batch, slot->batch);
  std::swap(errors, slot->errors);
  records_read_ = slot->records_read;
  bytes_read_ = slot->bytes_read;
  const bool more = slot->more;
  std::exception_ptr failure = std::move(slot->failure);
  slot->failure = nullptr;
  {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(slot));
  }
  changed_.notify_all();
  if (!more) ended_ = true;
  if (failure) std::rethrow_exception(failure);
  return more;
}

}  // namespace pipec
