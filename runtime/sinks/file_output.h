// connector = 'file': _bulk NDJSON into a file (option 'path', relative to
// the current directory). Missing parent directories are created; an existing
// file is replaced — except after a streaming (Kafka) source, where a run
// appends: a restart continues after the committed offsets, so replacing the
// file would drop output whose offsets were committed.
#pragma once

#include "runtime/sinks/file_writer.h"
#include "runtime/sinks/sink_output.h"

namespace pipec {

class FileOutput : public SinkOutput {
 public:
  explicit FileOutput(std::string path, bool append = false) : writer_(std::move(path), append) {}
  void open() override { writer_.open(); }
  void write(std::string_view bulk) override { writer_.write(bulk); }
  void sync() override { writer_.sync(); }
  void close() override { writer_.close(); }
  std::string describe() const override { return writer_.path(); }

 private:
  FileWriter writer_;
};

}  // namespace pipec
