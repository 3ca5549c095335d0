// Progress: what it prints on a terminal and in a log, driven by a fake clock.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "support/progress.hpp"

using namespace diffuse::cli;

namespace {

struct FakeClock {
  double now = 100.0;
};

ProgressOptions options_for(std::ostringstream& out, FakeClock& clock, bool terminal) {
  ProgressOptions o;
  o.out = &out;
  o.terminal = terminal;
  o.clock = [&clock] { return clock.now; };
  o.width = 100;
  return o;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("format_duration and format_rate") {
  CHECK(format_duration(0) == "0:00");
  CHECK(format_duration(7.4) == "0:07");
  CHECK(format_duration(754) == "12:34");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(-1) == "?");
  CHECK(format_duration(1.0 / 0.0) == "?");
  CHECK(format_rate(231.4) == "231");
  CHECK(format_rate(12.34) == "12.3");
  CHECK(format_rate(1.234) == "1.23");
  CHECK(format_rate(0.4567) == "0.457");
  CHECK(format_rate(123456) == "1.23e+05");
}

TEST_CASE("in a log: a line per 10% at most every 2 s, and a final line") {
  std::ostringstream out;
  FakeClock clock;
  Progress progress("train", 100, 0, "step", options_for(out, clock, false));
  for (int step = 1; step <= 100; ++step) {
    clock.now += 1.0;  // one step a second: 10% every 10 s
    progress.update(step, "loss 0.5");
  }
  progress.finish("loss 0.25");
  const std::string text = out.str();
  CHECK(text.find('\r') == std::string::npos);
  CHECK(count_lines(text) == 10);  // 10%, 20%, ..., 90%, then the final line
  CHECK(text.find("train: step 10/100 (10%), loss 0.5, 1.00 steps/s, ETA 1:30\n") !=
        std::string::npos);
  CHECK(text.find("train: step 100/100 (100%), loss 0.25, 1.00 steps/s, 1:40 elapsed\n") !=
        std::string::npos);
}

TEST_CASE("in a log: a fast run prints only its final line; a slow one a line every 30 s") {
  std::ostringstream fast_out, slow_out;
  FakeClock fast, slow;
  Progress quick("sample", 1000, 0, "step", options_for(fast_out, fast, false));
  for (int step = 1; step <= 1000; ++step) {
    fast.now += 0.001;
    quick.update(step);
  }
  quick.finish();
  CHECK(count_lines(fast_out.str()) == 1);

  Progress crawl("elbo", 1000, 0, "unit", options_for(slow_out, slow, false));
  for (int step = 1; step <= 10; ++step) {
    slow.now += 31.0;  // no 10% milestone, but half a minute each
    crawl.update(step);
  }
  CHECK(count_lines(slow_out.str()) == 10);
}

TEST_CASE("on a terminal: one line redrawn in place, at most ten times a second") {
  std::ostringstream out;
  FakeClock clock;
  Progress progress("train", 1000, 500, "step", options_for(out, clock, true));  // resumed at 500
  for (int step = 501; step <= 1000; ++step) {
    clock.now += 0.01;
    progress.update(step, "loss 0.1");
  }
  progress.finish("loss 0.1");
  const std::string text = out.str();
  CHECK(count_lines(text) == 1);
  const auto redraws = std::count(text.begin(), text.end(), '\r');
  CHECK(redraws >= 45);
  CHECK(redraws <= 52);  // 5 s of updates at 10 per second, plus the final line
  const std::string last = text.substr(text.rfind('\r') + 1);
  CHECK(last.find("train [####################] 100%  1000/1000  loss 0.1 | 100 steps/s | 0:05") ==
        0);
  CHECK(last.size() == 100);  // padded to the width minus one, plus the newline
}

TEST_CASE("disabled progress prints nothing, and rate counts from the starting point") {
  std::ostringstream out;
  FakeClock clock;
  ProgressOptions o = options_for(out, clock, true);
  o.enabled = false;
  Progress progress("train", 10, 4, "step", o);
  clock.now += 2.0;
  progress.update(8);
  progress.finish();
  CHECK(out.str().empty());
  CHECK(progress.rate() == Approx(2.0));
}
