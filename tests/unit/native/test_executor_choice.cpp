// ExecutorChoice alternates blocks between the two executors, skips each one's warm-up unit, and
// keeps the one with the lower median time per unit, whatever order the timings come in.
#include <catch2/catch.hpp>

#include "base/error.hpp"
#include "support/executor_choice.hpp"
#include "support/thread_pool.hpp"

using namespace diffuse;

namespace {

// Runs the choice to its decision with unit times given by time(which, unit index on it); returns
// the sequence of executors used (0 or 1).
template <class Time>
std::vector<int> drive(ExecutorChoice& choice, const Executor& a, Time time) {
  std::vector<int> used;
  int count[2] = {0, 0};
  while (!choice.decided()) {
    const int which = &choice.current() == &a ? 0 : 1;
    used.push_back(which);
    choice.unit_done(time(which, count[which]++));
  }
  return used;
}

}  // namespace

TEST_CASE("ExecutorChoice alternates blocks, skips each warm-up unit, keeps the faster median") {
  ThreadPool one(1), two(2);
  for (const int faster : {0, 1}) {
    ExecutorChoice choice(one, two, 3, 4);
    const auto used = drive(choice, one, [&](int which, int unit) {
      if (unit == 0) return 100.0;  // a slow warm-up must not count
      return which == faster ? 1.0 : 2.0;
    });
    // 2 warm-ups + 3 rounds x 2 executors x 4 units, in blocks 0000(+1) 1111(+1) 0000 1111 ...
    REQUIRE(used.size() == 2 + 3 * 2 * 4);
    CHECK(std::vector<int>(used.begin(), used.begin() + 5) == std::vector<int>{0, 0, 0, 0, 0});
    CHECK(std::vector<int>(used.begin() + 5, used.begin() + 10) == std::vector<int>{1, 1, 1, 1, 1});
    CHECK(choice.chosen() == faster);
    CHECK(&choice.current() == (faster == 0 ? static_cast<const Executor*>(&one) : &two));
    CHECK(choice.seconds_per_unit(faster) == 1.0);
    CHECK(choice.seconds_per_unit(1 - faster) == 2.0);
  }
}

TEST_CASE("ExecutorChoice uses medians: one outlier on the faster executor does not flip it") {
  ThreadPool one(1), two(2);
  ExecutorChoice choice(one, two, 2, 5);
  drive(choice, one, [](int which, int unit) {
    if (which == 0) return unit == 3 ? 50.0 : 1.0;  // one preempted step
    return 1.5;
  });
  CHECK(choice.chosen() == 0);
  choice.unit_done(1e9);  // ignored once decided
  CHECK(choice.chosen() == 0);
}

TEST_CASE("ExecutorChoice rejects empty plans") {
  ThreadPool one(1);
  CHECK_THROWS_AS(ExecutorChoice(one, one, 0, 4), Error);
  CHECK_THROWS_AS(ExecutorChoice(one, one, 2, 0), Error);
}
