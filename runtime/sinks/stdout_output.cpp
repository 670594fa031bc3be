#include "runtime/sinks/stdout_output.h"

#include <mutex>

namespace pipec {

namespace {
std::mutex& stdout_lock() {
  static std::mutex m;
  return m;
}
}  // namespace

void StdoutOutput::open() { writer_.open(); }

void StdoutOutput::write(std::string_view bulk) {
  std::lock_guard<std::mutex> lock(stdout_lock());
  writer_.write(bulk);
}

}  // namespace pipec
