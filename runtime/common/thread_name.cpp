#include "runtime/common/thread_name.h"

#include <pthread.h>

#include <string>

namespace pipec {

void set_current_thread_name(std::string_view name) {
  std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());  // best effort: a name is a debugging aid
}

}  // namespace pipec
