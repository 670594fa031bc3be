// Host functions compiled kernels call for work not worth inlining (string
// comparison, concatenation, casts through the reference semantics, secrets)
// plus every stdlib thunk, exported to the JIT by name.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pipec {

std::vector<std::pair<std::string, void*>> kernel_host_symbols();

}  // namespace pipec
