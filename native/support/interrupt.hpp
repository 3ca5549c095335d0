#pragma once
// Ctrl-C (SIGINT) and SIGTERM during long work: while an InterruptGuard lives, the first signal
// only sets a flag, so that the command can finish its current step and save its state (training
// writes its last checkpoint); a second signal restores the default action and kills the process
// at once, for when saving hangs. The destructor restores the previous handlers.
namespace diffuse::cli {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The signal that arrived (SIGINT, SIGTERM), or 0.
  static int signal_received();
};

}  // namespace diffuse::cli
