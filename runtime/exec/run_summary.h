// What a finished run reports: a human summary on stderr and, with
// `pipec run --summary-json PATH`, the same counters as JSON. Counters are
// deterministic for a given input; everything time-dependent sits under
// "timing" keys so tests can drop them.
#pragma once

#include <string>
#include <vector>

#include "compiler/codegen/kernel_compiler.h"
#include "runtime/exec/pipeline_runner.h"

namespace pipec {

struct RunInfo {
  std::string engine = "interpreter";
  double compile_ms = 0;
  CompileTimings compile_timings;  // the JIT's part of compile_ms, summed over pipelines
  double wall_seconds = 0;
  int signal = 0;  // the signal that stopped the run, 0 if none
  std::string run_id;  // a UUID per run (metrics and notifications carry it too)
};

std::string summary_text(const PipelineRunner& runner, const RunInfo& info);
std::string summary_json(const std::vector<const PipelineRunner*>& runners, const RunInfo& info);

const char* action_name(ViolationAction a);

}  // namespace pipec
