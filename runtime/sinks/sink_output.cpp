#include "runtime/sinks/sink_output.h"

#include "runtime/exec/run_error.h"
#include "runtime/sinks/file_output.h"
#include "runtime/sinks/stdout_output.h"

namespace pipec {

std::unique_ptr<SinkOutput> make_sink_output(const SinkDef& sink, bool streaming) {
  if (sink.connector == "stdout") return std::make_unique<StdoutOutput>();
  if (sink.connector == "file") return std::make_unique<FileOutput>(sink.options.get("path"), streaming);
  throw RunError::failed("sink '" + sink.name + "': connector '" + sink.connector +
                         "' is not supported by `pipec run` yet (stdout and file are)");
}

}  // namespace pipec
