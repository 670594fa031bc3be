// connector = 'file': an NDJSON file, or every file a glob matches (in sorted
// order), read in chunks, framed by newlines and decoded in place. Positions
// are (file, 1-based line). Metadata columns: METADATA FROM 'file' (the path
// as matched) and 'line'.
//
// Lines longer than max_record_bytes never have to fit in memory: once a
// line is known to be too long the rest of it is skipped and it is reported
// as a RecordTooLarge decode error whose raw record is its first
// max_record_bytes bytes.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "compiler/plan/logical_plan.h"
#include "runtime/decode/ndjson_decoder.h"
#include "runtime/sources/source.h"
#include "runtime/vector/input_chunk_pool.h"

namespace pipec {

struct FileSourceOptions {
  std::string source_name;          // the relation's name, for positions and ids
  std::string path;                 // a file or a glob, relative to the current directory
  size_t max_record_bytes = 1 << 20;
  size_t chunk_bytes = 1 << 20;     // bytes per read
};

class FileSource : public Source {
 public:
  FileSource(const LogicalSource& plan, FileSourceOptions options);
  ~FileSource() override;

  void open() override;
  bool next(Batch& batch, DecodeErrors& errors) override;
  const std::vector<SourceDescriptor>& descriptors() const override { return descriptors_; }
  uint64_t records_read() const override { return decoder_.stats().records + oversize_records_; }
  uint64_t bytes_read() const override { return bytes_read_.load(std::memory_order_relaxed); }
  uint64_t bytes_total() const override { return bytes_total_; }

  // The files the path matched (after open()).
  std::vector<std::string> files() const;

  // For ParallelFileSource, which decodes chunks on several threads instead
  // of calling next(): the next chunk of whole lines with its first_line set
  // (its lines are counted here rather than by the decoder), or null at the
  // end; decode_chunk() is next()'s decoding step with the caller's decoder
  // (one per thread) and fills the metadata columns.
  std::shared_ptr<InputChunk> next_chunk(DecodeErrors& errors);
  bool decode_chunk(NdjsonDecoder& decoder, const std::shared_ptr<InputChunk>& chunk, Batch& batch,
                    DecodeErrors& errors, DecodeCursor& cursor) const;
  NdjsonDecoder make_decoder() const { return NdjsonDecoder(decoder_.spec(), decoder_.options()); }

 private:
  // The next chunk of whole lines, or null at the end of all files.
  std::shared_ptr<InputChunk> read_chunk(DecodeErrors& errors);
  void close_file();
  void report_oversize(DecodeErrors& errors);
  void fill_metadata(Batch& batch, uint32_t from) const;

  FileSourceOptions options_;
  NdjsonDecoder decoder_;
  struct Metadata {
    uint32_t column;
    bool is_line;  // else 'file'
  };
  std::vector<Metadata> metadata_;
  std::vector<SourceDescriptor> descriptors_;
  uint64_t bytes_total_ = 0;
  std::atomic<uint64_t> bytes_read_{0};  // read by the pipeline's thread while ParallelFileSource reads
  uint64_t oversize_records_ = 0;

  size_t file_ = 0;       // index into descriptors_
  int fd_ = -1;
  uint64_t line_ = 1;     // line number of the first byte of pending_ (or of the chunk being decoded)
  std::string pending_;   // a partial line carried to the next read
  bool eof_ = false;      // the current file has been read to its end
  bool skipping_ = false; // inside a line longer than max_record_bytes
  std::string oversize_head_;
  size_t oversize_length_ = 0;
  InputChunkPool chunk_pool_;
  std::shared_ptr<InputChunk> chunk_;
  DecodeCursor cursor_;
  bool exhausted_ = false;
};

}  // namespace pipec
