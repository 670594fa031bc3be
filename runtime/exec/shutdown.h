// Graceful shutdown on SIGINT / SIGTERM: the first signal asks every running
// pipeline to stop after its current batch (sources stop reading; sinks and
// dead letters are flushed; the summary is printed; exit 128 + signal). The
// handler is one-shot, so a second Ctrl-C kills the process at once.
#pragma once

#include <atomic>

namespace pipec {

// The flag the handlers set to the signal number. Installs the handlers on
// the first call; SIGPIPE is ignored so a closed stdout is a write error.
std::atomic<int>& install_shutdown_handlers();

}  // namespace pipec
