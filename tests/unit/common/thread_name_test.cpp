#include <doctest/doctest.h>
#include <pthread.h>

#include <string>
#include <thread>

#include "runtime/common/thread_name.h"

namespace {

std::string name_of_a_thread_named(const std::string& name) {
  char got[64] = {};
  std::thread t([&] {
    pipec::set_current_thread_name(name);
    pthread_getname_np(pthread_self(), got, sizeof got);
  });
  t.join();
  return got;
}

}  // namespace

TEST_CASE("a thread gets its name, cut to Linux's 15 bytes") {
  CHECK(name_of_a_thread_named("pipec-es-io") == "pipec-es-io");
  CHECK(name_of_a_thread_named("pipec:a_long_pipeline_name") == "pipec:a_long_pi");
}
