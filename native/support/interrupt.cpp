#include "support/interrupt.hpp"

#include <csignal>

namespace diffuse::cli {
namespace {

volatile std::sig_atomic_t received = 0;
struct sigaction previous_int {
}, previous_term{};

extern "C" void on_signal(int signal) {
  if (received != 0) {
    std::signal(signal, SIG_DFL);  // second signal: give up saving
    std::raise(signal);
    return;
  }
  received = signal;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  received = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
}

int InterruptGuard::signal_received() {
  return received;
}

}  // namespace diffuse::cli
