// ParallelFileSource: a file source whose chunks are decoded on N threads of
// their own while the pipeline's thread runs the kernels, the encoder and the
// sink. Decoding is most of a file pipeline's work, so this is what lets one
// pipeline use more than one core (Logstash's pipeline.workers, DuckDB's
// threads).
//
// Each worker takes the next chunk of whole lines from the FileSource (under
// a lock: reading and framing are cheap and sequential), decodes it with a
// decoder of its own, and files the batches under the chunk's sequence
// number; next() hands them out strictly in that order. So the rows, their
// order, their positions and the decode errors are those of the plain
// FileSource; only the batch boundaries differ (a batch never spans two
// chunks here). A read error is rethrown by next() after every row before
// it. Workers run at most a few chunks ahead: memory stays bounded.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/sources/file_source.h"

namespace pipec {

class ParallelFileSource : public Source {
 public:
  // `types`/`capacity`: the batches the pipeline passes to next().
  ParallelFileSource(std::unique_ptr<FileSource> file, std::vector<PhysicalType> types, uint32_t capacity,
                     int threads);
  ~ParallelFileSource() override;

  void open() override;
  bool next(Batch& batch, DecodeErrors& errors) override;
  const std::vector<SourceDescriptor>& descriptors() const override { return file_->descriptors(); }
  // Records handed out by next() so far (the workers are further on).
  uint64_t records_read() const override { return records_read_; }
  uint64_t bytes_read() const override { return file_->bytes_read(); }
  uint64_t bytes_total() const override { return file_->bytes_total(); }

  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  // One chunk's worth of output, or the end of the input (no chunk), or a failure.
  struct Unit {
    std::vector<Batch> batches;
    DecodeErrors errors;  // handed out with the unit's first batch
    bool end = false;
    std::exception_ptr failure;
  };
  void work();
  Batch take_free_batch();  // under mutex_

  std::unique_ptr<FileSource> file_;
  std::vector<PhysicalType> types_;
  uint32_t capacity_;
  int thread_count_;

  // Reading: chunks get their sequence numbers in the order they are read.
  std::mutex read_mutex_;
  std::atomic<uint64_t> next_to_read_{0};  // sequence number of the next chunk (also read under mutex_)
  bool read_done_ = false;     // the end or a failure was read: no more chunks

  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  bool input_done_ = false;          // read_done_, for workers waiting on mutex_
  uint64_t next_to_hand_out_ = 0;    // sequence number next() waits for
  std::map<uint64_t, Unit> done_;    // decoded units waiting for their turn
  std::vector<Batch> free_batches_;  // handed back by next(), reused by the workers

  // The unit next() is handing out (pipeline thread only).
  Unit current_;
  size_t current_batch_ = 0;
  bool have_current_ = false;
  bool ended_ = false;
  uint64_t records_read_ = 0;

  std::vector<std::thread> workers_;  // last: started once everything above exists
};

}  // namespace pipec
