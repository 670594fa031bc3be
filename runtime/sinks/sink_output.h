// Where a sink's _bulk NDJSON goes. The stdout and file connectors write the
// exact bytes an Elasticsearch _bulk request would carry; the Elasticsearch
// connector (later) implements the same interface with requests, retries and
// acknowledgements.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "compiler/bind/bound_script.h"

namespace pipec {

class SinkOutput {
 public:
  virtual ~SinkOutput() = default;
  // Before the first document; throws RunError when the output is unusable
  // (so an unwritable path fails the run before any input is read).
  virtual void open() = 0;
  // Whole documents (action line + source line each).
  virtual void write(std::string_view bulk) = 0;
  // Makes what was written durable before source offsets are committed past
  // it (file: fdatasync); throws RunError on failure.
  virtual void sync() {}
  // After the last document; throws RunError on failure.
  virtual void close() = 0;
  // For the summary: "out/orders.bulk.ndjson", "<stdout>".
  virtual std::string describe() const = 0;
};

// The output of a sink declaration (connector 'stdout' or 'file'); `streaming`:
// its input is a Kafka source (a file is appended to). Throws RunError for
// connectors `pipec run` cannot write to yet.
std::unique_ptr<SinkOutput> make_sink_output(const SinkDef& sink, bool streaming = false);

}  // namespace pipec
