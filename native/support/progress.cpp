#include "support/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace diffuse::cli {
namespace {

constexpr double redraw_seconds = 0.1;      // terminal: at most ten redraws a second
constexpr double plain_min_seconds = 2.0;   // plain lines: at most one every 2 s ...
constexpr double plain_max_seconds = 30.0;  // ... and at least one every 30 s

bool stderr_is_terminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) == 1 && !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

int terminal_width() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<long long>(std::llround(seconds));
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char text[48];
  if (h > 0) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", m, s);
  }
  return text;
}

std::string format_rate(double value) {
  char text[32];
  if (!std::isfinite(value)) return "?";
  if (value >= 99999.5) {
    std::snprintf(text, sizeof text, "%.3g", value);
  } else if (value >= 99.95) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else if (value >= 9.995) {
    std::snprintf(text, sizeof text, "%.1f", value);
  } else if (value >= 0.9995) {
    std::snprintf(text, sizeof text, "%.2f", value);
  } else {
    std::snprintf(text, sizeof text, "%.3g", value);
  }
  return text;
}

Progress::Progress(std::string label, std::int64_t total, std::int64_t done, std::string unit,
                   ProgressOptions options)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(std::max<std::int64_t>(total, 1)),
      start_done_(done),
      done_(done),
      enabled_(options.enabled),
      terminal_(options.terminal.value_or(options.enabled && stderr_is_terminal())),
      out_(options.out != nullptr ? options.out : &std::cerr),
      clock_(options.clock ? options.clock : steady_seconds),
      width_(options.width > 0 ? options.width : (terminal_ ? terminal_width() : 80)),
      start_time_(clock_()),
      last_line_done_(done) {
  last_draw_ = start_time_;
}

Progress::~Progress() {
  // An exception unwinding through a command must not leave the cursor after a half-drawn bar.
  if (drawn_ && terminal_ && !finished_) *out_ << '\n' << std::flush;
}

double Progress::elapsed() const {
  return clock_() - start_time_;
}

double Progress::rate() const {
  const double seconds = elapsed();
  return seconds > 0 ? static_cast<double>(done_ - start_done_) / seconds : 0.0;
}

bool Progress::plain_due(double now) const {
  if (done_ >= total_) return false;  // finish() prints the last line
  const double since = now - last_draw_;
  const std::int64_t step = std::max<std::int64_t>(total_ / 10, 1);
  const bool milestone = done_ / step > last_line_done_ / step;
  return (milestone && since >= plain_min_seconds) || since >= plain_max_seconds;
}

void Progress::update(std::int64_t done, const std::string& status) {
  done_ = done;
  if (!enabled_ || finished_) return;
  const double now = clock_();
  if (terminal_) {
    if (now - last_draw_ < redraw_seconds && drawn_) return;
    *out_ << '\r' << bar_line(status, false) << std::flush;
  } else {
    if (!plain_due(now)) return;
    *out_ << plain_line(status, false) << '\n' << std::flush;
    last_line_done_ = done;
  }
  last_draw_ = now;
  drawn_ = true;
}

void Progress::finish(const std::string& status) {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (terminal_) {
    *out_ << '\r' << bar_line(status, true) << '\n' << std::flush;
  } else {
    *out_ << plain_line(status, true) << '\n' << std::flush;
  }
}

std::string Progress::bar_line(const std::string& status, bool final) const {
  const double fraction = std::clamp(static_cast<double>(done_) / total_, 0.0, 1.0);
  std::string tail = "  " + std::to_string(done_) + "/" + std::to_string(total_);
  if (!status.empty()) tail += "  " + status;
  tail += " | " + format_rate(rate()) + " " + unit_ + "s/s";
  tail += final ? " | " + format_duration(elapsed())
                : " | ETA " + format_duration((total_ - done_) / rate());
  char percent[8];
  std::snprintf(percent, sizeof percent, "%4d%%", static_cast<int>(fraction * 100));
  // The bar's width depends on the terminal only, so that it does not jump as the text changes.
  const int bar = std::clamp((width_ - 60) / 2, 0, 30);
  std::string line = label_;
  if (bar >= 10) {
    const int filled = static_cast<int>(std::floor(fraction * bar));
    line += " [" + std::string(filled, '#') + std::string(bar - filled, '.') + "]";
  }
  line += percent + tail;
  if (static_cast<int>(line.size()) > width_ - 1) line.resize(std::max(width_ - 1, 0));
  line.resize(std::max<std::size_t>(line.size(), static_cast<std::size_t>(std::max(width_ - 1, 0))),
              ' ');
  return line;
}

std::string Progress::plain_line(const std::string& status, bool final) const {
  const int percent = static_cast<int>(100.0 * done_ / total_);
  std::string line = label_ + ": " + unit_ + " " + std::to_string(done_) + "/" +
                     std::to_string(total_) + " (" + std::to_string(percent) + "%)";
  if (!status.empty()) line += ", " + status;
  line += ", " + format_rate(rate()) + " " + unit_ + "s/s";
  line += final ? ", " + format_duration(elapsed()) + " elapsed"
                : ", ETA " + format_duration((total_ - done_) / rate());
  return line;
}

}  // namespace diffuse::cli
