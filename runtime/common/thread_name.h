// Names the calling thread for `top -H`, perf and gdb ("pipec-es-io" rather
// than a second "pipec"). Linux keeps 15 bytes; longer names are cut.
#pragma once

#include <string_view>

namespace pipec {

void set_current_thread_name(std::string_view name);

}  // namespace pipec
