#include "runtime/sources/parallel_file_source.h"

#include <utility>

#include "runtime/common/thread_name.h"

namespace pipec {

ParallelFileSource::ParallelFileSource(std::unique_ptr<FileSource> file, std::vector<PhysicalType> types,
                                       uint32_t capacity, int threads)
    : file_(std::move(file)), types_(std::move(types)), capacity_(capacity), thread_count_(std::max(threads, 1)) {}

ParallelFileSource::~ParallelFileSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_) w.join();
}

void ParallelFileSource::open() {
  file_->open();  // on the caller's thread: its errors are the caller's
  for (int i = 0; i < thread_count_; ++i)
    workers_.emplace_back([this] {
      set_current_thread_name("pipec-decode");
      work();
    });
}

Batch ParallelFileSource::take_free_batch() {
  if (free_batches_.empty()) return Batch(types_, capacity_);
  Batch b = std::move(free_batches_.back());
  free_batches_.pop_back();
  return b;
}

void ParallelFileSource::work() {
  NdjsonDecoder decoder = file_->make_decoder();
  // Chunks read but not yet handed out: enough to keep every worker busy.
  const uint64_t max_ahead = 2 * static_cast<uint64_t>(thread_count_) + 1;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] {
        return stopping_ || input_done_ || next_to_read_ < next_to_hand_out_ + max_ahead;
      });
      if (stopping_ || input_done_) return;
    }
    Unit unit;
    uint64_t seq = 0;
    std::shared_ptr<InputChunk> chunk;
    {
      std::lock_guard read_lock(read_mutex_);
      if (read_done_) return;
      seq = next_to_read_++;
      try {
        chunk = file_->next_chunk(unit.errors);
      } catch (...) {
        unit.failure = std::current_exception();
      }
      read_done_ = !chunk;
    }
    if (!chunk) {
      unit.end = true;
    } else {
      try {
        {
          std::lock_guard lock(mutex_);
          unit.batches.push_back(take_free_batch());
        }
        DecodeCursor cursor;
        while (!file_->decode_chunk(decoder, chunk, unit.batches.back(), unit.errors, cursor)) {
          std::lock_guard lock(mutex_);
          unit.batches.push_back(take_free_batch());
        }
      } catch (...) {
        unit.failure = std::current_exception();
        unit.end = true;
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (unit.end) input_done_ = true;
      done_.emplace(seq, std::move(unit));
    }
    changed_.notify_all();
  }
}

bool ParallelFileSource::next(Batch& batch, DecodeErrors& errors) {
  if (ended_) return false;
  if (!have_current_ || current_batch_ == current_.batches.size()) {
    std::unique_lock lock(mutex_);
    for (Batch& b : current_.batches) {
      b.reset();  // lets go of its chunks now, not when a worker reuses it
      free_batches_.push_back(std::move(b));
    }
    changed_.wait(lock, [&] { return done_.count(next_to_hand_out_) > 0; });
    auto it = done_.find(next_to_hand_out_);
    current_ = std::move(it->second);
    done_.erase(it);
    ++next_to_hand_out_;
    current_batch_ = 0;
    have_current_ = true;
    lock.unlock();
    changed_.notify_all();  // a worker may read one chunk further
    std::swap(errors, current_.errors);  // the unit's errors come with its first batch
    records_read_ += errors.total();
    if (current_.end) {
      ended_ = true;
      if (current_.failure) std::rethrow_exception(current_.failure);
      return false;
    }
  }
  std::swap(batch, current_.batches[current_batch_++]);
  records_read_ += batch.size;
  return true;
}

}  // namespace pipec
