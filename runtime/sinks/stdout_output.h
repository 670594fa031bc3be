// connector = 'stdout': _bulk NDJSON on standard output. Pipelines running
// concurrently write whole buffers under one lock, so their documents never
// interleave mid-line.
#pragma once

#include "runtime/sinks/file_writer.h"
#include "runtime/sinks/sink_output.h"

namespace pipec {

class StdoutOutput : public SinkOutput {
 public:
  StdoutOutput() : writer_("-") {}
  void open() override;
  void write(std::string_view bulk) override;
  void close() override {}
  std::string describe() const override { return "<stdout>"; }

 private:
  FileWriter writer_;
};

}  // namespace pipec
