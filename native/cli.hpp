#pragma once
// What every command shares: running the parser with the project's error conventions, and
// printing numbers so that they round-trip.
#include <CLI/CLI.hpp>
#include <stdexcept>
#include <string>

namespace diffuse::cli {

// Exit codes: 0 success; 1 the work failed after the arguments were accepted (a write error, a
// training run that diverged); 2 a bad argument or input file (nothing was done, no file was
// written); 130 interrupted by a signal (training saved its state first).
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_interrupted = 130;

// A failure during the work itself: reported as "diffuse: error: ..." without the usage, with
// its exit code.
class Failure : public std::runtime_error {
 public:
  explicit Failure(const std::string& message, int code = exit_failure)
      : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Parses and runs. Help and --version print to stdout and return 0. A bad argument (CLI11's parse
// errors and diffuse::Error from validation) prints "diffuse: error: ..." and the command's usage
// line on stderr and returns 2. A Failure prints its message and returns its code. Anything else
// is an internal error: message on stderr, 1.
int run(CLI::App& app, int argc, char** argv);

// Runs `work` (the part of a command after validation), turning diffuse::Error into Failure: once
// work has started, an error is no longer the caller's bad argument.
template <typename Work>
void run_work(Work&& work) {
  try {
    work();
  } catch (const Failure&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw Failure(e.what());
  }
}

// The shortest decimal that reads back as the same double (std::to_chars): at least 17
// significant digits where needed, "0.0001" rather than "0.00010000000000000000479".
std::string format_number(double value);

// value with a fixed number of decimals: fixed(0.97297, 4) -> "0.9730".
std::string fixed(double value, int decimals);

// "diffuse 0.1.0 (SIMD: avx512bw, 16 float lanes)"
std::string version_text();

}  // namespace diffuse::cli
