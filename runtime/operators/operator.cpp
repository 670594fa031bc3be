#include "runtime/operators/operator.h"

namespace pipec {

std::vector<PhysicalType> physical_types(const std::vector<PlanColumn>& schema) {
  std::vector<PhysicalType> out;
  out.reserve(schema.size());
  for (const auto& c : schema) out.push_back(c.type->physical());
  return out;
}

}  // namespace pipec
