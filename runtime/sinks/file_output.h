// connector = 'file': _bulk NDJSON into a file (option 'path', relative to
// the current directory). Missing parent directories are created; an existing
// file is replaced.
#pragma once

#include "runtime/sinks/file_writer.h"
#include "runtime/sinks/sink_output.h"

namespace pipec {

class FileOutput : public SinkOutput {
 public:
  explicit FileOutput(std::string path) : writer_(std::move(path)) {}
  void open() override { writer_.open(); }
  void write(std::string_view bulk) override { writer_.write(bulk); }
  void close() override { writer_.close(); }
  std::string describe() const override { return writer_.path(); }

 private:
  FileWriter writer_;
};

}  // namespace pipec
