#include "runtime/exec/shutdown.h"

#include <csignal>

namespace pipec {

namespace {
std::atomic<int> g_stop{0};

extern "C" void on_stop_signal(int sig) { g_stop.store(sig, std::memory_order_relaxed); }
}  // namespace

std::atomic<int>& install_shutdown_handlers() {
  static bool installed = [] {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;  // the second signal takes the default action
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)installed;
  return g_stop;
}

}  // namespace pipec
