#include "runtime/sources/source.h"

namespace pipec {

DecodeSpec decode_spec_of(const LogicalSource& plan) {
  DecodeSpec spec;
  for (const auto& d : plan.decode) {
    DecodeField f;
    f.path = d.path;
    f.type = d.type;
    f.not_null = d.not_null;
    f.raw_json = d.raw_json;
    f.external = d.metadata.has_value();
    spec.columns.push_back(std::move(f));
  }
  return spec;
}

}  // namespace pipec
