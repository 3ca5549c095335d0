// The divergence rule against a naive computation of it: the exact median of the last 1,000
// accepted losses, recomputed at every step.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "diffusion/divergence.hpp"

using namespace diffuse;

namespace {

double naive_median(const std::deque<double>& window) {
  std::vector<double> v(window.begin(), window.end());
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

TEST_CASE("non-finite losses diverge at once") {
  DivergenceWatch watch;
  CHECK(watch.diverged(std::numeric_limits<double>::quiet_NaN()));
  CHECK(watch.diverged(std::numeric_limits<double>::infinity()));
  CHECK(std::isnan(watch.median()));
}

TEST_CASE("a loss above 100x the median diverges, from the second loss on") {
  DivergenceWatch watch;
  CHECK_FALSE(watch.diverged(1e6));  // the first: nothing to compare with
  CHECK(watch.median() == 1e6);
  DivergenceWatch early;
  CHECK_FALSE(early.diverged(1.0));
  CHECK(early.diverged(1e28));       // --lr 1e9's second loss
  for (int s = 0; s < 20; ++s) CHECK_FALSE(early.diverged(1.0));
  CHECK_FALSE(early.diverged(99.0));
  CHECK(early.diverged(101.0));      // not added
  CHECK(early.median() == 1.0);
}

TEST_CASE("the watch decides as the naive rule does on a long noisy run with spikes") {
  // Losses falling from ~1 to ~0.05 with log-normal noise, and a spike of 30x to 300x the current
  // level every ~200 steps: some spikes cross 100x the median, some do not.
  DivergenceWatch watch;
  std::deque<double> window;
  Rng rng(5, 0);
  int crossings = 0;
  for (std::int64_t s = 1; s <= 20000; ++s) {
    const double level = 0.05 + 0.95 * std::exp(-static_cast<double>(s) / 3000.0);
    double loss = level * std::exp(0.3 * rng.normal());
    if (rng.uniform() < 0.005) loss *= 30.0 + 270.0 * rng.uniform();
    const bool expected = !window.empty() && loss > 100 * naive_median(window);
    INFO("step " << s << ", loss " << loss);
    REQUIRE(watch.diverged(loss) == expected);
    if (!expected) {
      window.push_back(loss);
      if (window.size() > 1000) window.pop_front();
    }
    crossings += expected;
  }
  CHECK(crossings >= 5);  // the test saw both outcomes
  CHECK(watch.median() == naive_median(window));
}

TEST_CASE("bad watch settings are refused") {
  CHECK_THROWS_AS(DivergenceWatch(0), Error);
  CHECK_THROWS_AS(DivergenceWatch(10, 1.0), Error);
  CHECK_THROWS_AS(DivergenceWatch(10, 100, 0), Error);
}
