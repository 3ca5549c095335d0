// median_in_place against sorting: odd and even counts, duplicates, one element.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "base/median.hpp"
#include "base/rng.hpp"

using namespace diffuse;

TEST_CASE("median equals the middle of the sorted list (mean of the two middles for even counts)") {
  Rng rng(5);
  for (std::size_t n = 1; n <= 40; ++n) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<double>(rng.below(10));  // many ties
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    const double expected = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    INFO("n = " << n);
    CHECK(median(v) == expected);
    CHECK(median_in_place(v) == expected);
  }
  CHECK(median({3.0, 1.0}) == 2.0);
}
