#include <csignal>

#include "app/gateway_runtime.hpp"

namespace btms::app {

namespace {
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

// Called first thing in main(): every thread started later inherits the blocked mask, so the
// stop signals are taken only by wait_for_stop_signal() and never interrupt a bus worker.
void block_stop_signals() {
  const auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void wait_for_stop_signal() {
  const auto set = stop_signals();
  int signal = 0;
  sigwait(&set, &signal);
}

}  // namespace btms::app
