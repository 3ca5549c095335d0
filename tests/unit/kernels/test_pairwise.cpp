// distance_row_sum and rbf_row_sum against their scalar twins and against a float64 loop, for
// every tail length around the vector width and a few dimensions.
// The scalar twins are pairwise_ref.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "base/rng.hpp"
#include "kernels/arch.hpp"
#include "kernels/pairwise.hpp"

using namespace diffuse;

namespace {

struct Terms {
  double distance = 0, rbf = 0;
};

// The sums in float64 from the same float inputs: the independent reference.
Terms exact_sums(const std::vector<float>& p, const std::vector<float>& Y, std::size_t ld,
                 std::size_t D, std::size_t m, double gamma) {
  Terms t;
  for (std::size_t j = 0; j < m; ++j) {
    double d2 = 0;
    for (std::size_t d = 0; d < D; ++d) {
      const double diff = static_cast<double>(p[d]) - Y[d * ld + j];
      d2 += diff * diff;
    }
    t.distance += std::sqrt(d2);
    t.rbf += std::exp(-gamma * d2);
  }
  return t;
}

}  // namespace

TEST_CASE("pairwise row sums equal their scalar twins and a float64 loop, every tail") {
  Rng rng(7);
  const std::size_t lanes = kernels::simd_float_lanes();
  // Error budget, relative to the sum of the (positive) terms: the squared distance in float
  // (D products and D - 1 additions: relative <= 2D 2^-24), halved by sqrt; float sqrt and
  // xsimd exp (<= 2 ulp); float summation of <= 16 terms per lane (<= 16 2^-24): in all
  // rel = (2D + 24) 2^-24. For exp(-g d2) the squared distance's relative error e becomes an
  // absolute error g d2 exp(-g d2) e <= e / e_Euler per term, so the kernel sum also gets m rel.
  for (std::size_t D : {1u, 2u, 3u, 5u}) {
    const double rel = (2.0 * D + 24) * std::ldexp(1.0, -24);
    for (std::size_t m = 0; m <= 20 * lanes + 3; m += (m < 3 * lanes + 2 ? 1 : lanes + 1)) {
      const std::size_t ld = m + 3;  // a leading dimension larger than m
      std::vector<float> p(D), Y(D * ld);
      rng.fill_normal(p.data(), D);
      rng.fill_normal(Y.data(), Y.size());
      const float gamma = 0.7f;
      const Terms exact = exact_sums(p, Y, ld, D, m, gamma);
      INFO("D = " << D << ", m = " << m);
      const double dist = kernels::distance_row_sum(p.data(), Y.data(), ld, D, m);
      const double dist_ref = kernels::distance_row_sum_ref(p.data(), Y.data(), ld, D, m);
      const double rbf = kernels::rbf_row_sum(p.data(), Y.data(), ld, D, m, gamma);
      const double rbf_ref = kernels::rbf_row_sum_ref(p.data(), Y.data(), ld, D, m, gamma);
      CHECK(std::abs(dist - exact.distance) <= rel * exact.distance);
      CHECK(std::abs(dist_ref - exact.distance) <= rel * exact.distance);
      CHECK(std::abs(rbf - exact.rbf) <= rel * (exact.rbf + m));
      CHECK(std::abs(rbf_ref - exact.rbf) <= rel * (exact.rbf + m));
    }
  }
}

TEST_CASE("pairwise row sums of a point against itself: distance 0, kernel 1") {
  const std::vector<float> p = {0.25f, -3.0f};
  std::vector<float> Y(2 * 37);
  for (std::size_t j = 0; j < 37; ++j) Y[j] = p[0], Y[37 + j] = p[1];
  CHECK(kernels::distance_row_sum(p.data(), Y.data(), 37, 2, 37) == 0.0);
  CHECK(kernels::rbf_row_sum(p.data(), Y.data(), 37, 2, 37, 3.0f) == 37.0);
}
