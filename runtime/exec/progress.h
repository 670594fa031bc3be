// The live progress line on stderr while pipelines run on a terminal:
// events in/out, rate, and for file inputs the % read and an ETA, refreshed
// about four times a second and erased when the run ends. Nothing is printed
// when stderr is not a terminal (CI logs, tests).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/exec/pipeline_runner.h"

namespace pipec {

class ProgressLine {
 public:
  explicit ProgressLine(std::vector<const PipelineRunner*> runners) : runners_(std::move(runners)) {}
  ~ProgressLine() { stop(); }

  void start();  // no-op unless stderr is a terminal
  void stop();   // erases the line

  // The text of one refresh (exposed for tests).
  static std::string render(uint64_t in, uint64_t out, double rate, uint64_t bytes_read, uint64_t bytes_total);

 private:
  void loop();

  std::vector<const PipelineRunner*> runners_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool shown_ = false;
};

// 1234567 -> "1,234,567"
std::string group_digits(uint64_t n);
// 1536 -> "1.5 KiB"
std::string human_bytes(double bytes);

}  // namespace pipec
