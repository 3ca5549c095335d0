#pragma once
// Progress of long work (training, sampling, the ELBO) on stderr.
//
// On a terminal (isatty(stderr) and TERM is not "dumb") one line is redrawn in place at most ten
// times a second:
//   train [##########..........]  50%  5000/10000  loss 0.4123 | 231 steps/s | ETA 0:21
// Elsewhere (a log file, CI, a pipe) the display would fill the log with carriage returns, so it
// prints plain lines instead: one each time another 10% is done, at most one every 2 s and at
// least one every 30 s, so that short runs stay quiet and long ones show they are alive:
//   train: step 5000/10000 (50%), loss 0.4123, 231 steps/s, ETA 0:21
// finish() prints the final line in either mode.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

namespace diffuse::cli {

struct ProgressOptions {
  bool enabled = true;            // false: print nothing at all
  std::optional<bool> terminal;   // default: stderr is a terminal (and TERM != dumb)
  std::ostream* out = nullptr;    // default: std::cerr
  std::function<double()> clock;  // seconds on a monotonic clock; default steady_clock
  int width = 0;                  // terminal columns; default: asked from the terminal, or 80
};

class Progress {
 public:
  // total units of work (> 0); `done` of them finished already (a resumed run); `unit` names one.
  Progress(std::string label, std::int64_t total, std::int64_t done = 0, std::string unit = "step",
           ProgressOptions options = {});
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` units are finished; `status` is shown after the counts ("loss 0.4123").
  void update(std::int64_t done, const std::string& status = {});
  // The final line (ends the in-place line on a terminal). Idempotent.
  void finish(const std::string& status = {});

  double elapsed() const;  // seconds since construction
  double rate() const;     // units per second since construction (0 before any progress)
  bool terminal() const { return terminal_; }

 private:
  std::string bar_line(const std::string& status, bool final) const;
  std::string plain_line(const std::string& status, bool final) const;
  bool plain_due(double now) const;

  std::string label_, unit_;
  std::int64_t total_, start_done_, done_;
  bool enabled_, terminal_;
  std::ostream* out_;
  std::function<double()> clock_;
  int width_;
  double start_time_, last_draw_ = -1e300;
  std::int64_t last_line_done_;
  bool drawn_ = false, finished_ = false;
};

// "0:07", "12:34", "1:02:03"; "?" for a non-finite or negative value.
std::string format_duration(double seconds);
// Three significant digits: "231", "12.3", "0.456", "1.23e+04" beyond 99999.
std::string format_rate(double value);

}  // namespace diffuse::cli
