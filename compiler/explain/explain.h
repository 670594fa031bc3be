// Renders plans for `pipec explain`. The JSON form is documented in
// docs/explain-json.md and versioned ("format_version"); fields are only ever
// added, never renamed or removed, within a format version.
#pragma once

#include <string>
#include <vector>

#include "compiler/lower/physical_plan.h"
#include "compiler/optimize/optimizer.h"

namespace pipec {

struct ExplainedPipeline {
  const LogicalPipeline* logical = nullptr;
  PhysicalPipeline physical;
  std::vector<PassReport> passes;
};

enum class ExplainFormat { Text, Json, Dot };
enum class ExplainLevel { Both, Logical, Physical };

std::string render_explain(const std::vector<ExplainedPipeline>& pipelines, ExplainFormat format, ExplainLevel level);

}  // namespace pipec
