// ReadAheadSource: runs another source's reading and decoding on a thread of
// its own, a few batches ahead of the pipeline's thread, which meanwhile runs
// the kernels, the encoder and the sink. Decoding is most of a file
// pipeline's work, so on two cores this nearly halves its wall time.
//
// Batches arrive in exactly the order the wrapped source produced them, with
// the same rows, positions and decode errors: the output does not depend on
// whether read-ahead is on. An error thrown by the wrapped source on the
// reading thread is rethrown by next() in its place in the sequence.
//
// Only for sources whose batches stand alone (files): the Kafka source ties
// offsets to the batch the pipeline last took and stays on the pipeline's
// thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/sources/source.h"

namespace pipec {

class ReadAheadSource : public Source {
 public:
  // `types`/`capacity`: the batches the pipeline passes to next(); `depth`:
  // batches decoded ahead of it.
  ReadAheadSource(std::unique_ptr<Source> inner, std::vector<PhysicalType> types, uint32_t capacity,
                  size_t depth = 2);
  ~ReadAheadSource() override;

  void open() override;
  bool next(Batch& batch, DecodeErrors& errors) override;
  const std::vector<SourceDescriptor>& descriptors() const override { return inner_->descriptors(); }
  // As of the last batch next() returned (the reading thread is further on).
  uint64_t records_read() const override { return records_read_; }
  uint64_t bytes_read() const override { return bytes_read_; }
  uint64_t bytes_total() const override { return inner_->bytes_total(); }

  const Source& inner() const { return *inner_; }

 private:
  struct Slot {
    Batch batch;
    DecodeErrors errors;
    bool more = true;
    uint64_t records_read = 0, bytes_read = 0;
    std::exception_ptr failure;
  };
  void read_loop();

  std::unique_ptr<Source> inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Slot>> free_, ready_;
  bool stopping_ = false;
  bool ended_ = false;  // next() returned the last batch
  uint64_t records_read_ = 0, bytes_read_ = 0;
  std::thread reader_;  // last: started after everything above exists
};

}  // namespace pipec
