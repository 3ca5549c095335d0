// RBF MMD^2: the unbiased estimator against a naive float64 double loop, the median heuristic
// against sorting all pooled distances, exact symmetry/translation/scale behaviour on dyadic data,
// identical sets, and the estimator's mean against the closed form for N(0, 1) against N(d, 1).
// The pair sums both metrics share are pair_sums.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "metrics/mmd.hpp"
#include "support/statistics.hpp"

using namespace diffuse;

namespace {

constexpr double pi = 3.141592653589793238462643383279502884;

Tensor2 normal_points(Rng& rng, std::size_t n, std::size_t D, double mean = 0.0) {
  Tensor2 x = Tensor2::from_shape({n, D});
  rng.fill_normal(x.data(), x.size());
  for (float& v : x) v = static_cast<float>(v + mean);
  return x;
}

double squared_distance(const Tensor2& a, std::size_t i, const Tensor2& b, std::size_t j) {
  double d2 = 0;
  for (std::size_t d = 0; d < a.shape(1); ++d) {
    const double diff = static_cast<double>(a(i, d)) - b(j, d);
    d2 += diff * diff;
  }
  return d2;
}

// Mean of k over all (i, j), or over i != j.
double naive_kernel_mean(const Tensor2& a, const Tensor2& b, double h, bool skip_same_index) {
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < a.shape(0); ++i) {
    for (std::size_t j = 0; j < b.shape(0); ++j) {
      if (skip_same_index && i == j) continue;
      sum += std::exp(-squared_distance(a, i, b, j) / (2 * h * h));
      ++count;
    }
  }
  return sum / static_cast<double>(count);
}

// Rounding bound on mmd2 (see the naive-loop test): each kernel mean has relative error
// <= rel = (2D + 26) 2^-24 plus absolute rel, so three means (the cross one doubled) give 8 rel.
double mmd_rounding_bound(std::size_t D) {
  return 8 * (2.0 * D + 26) * std::ldexp(1.0, -24);
}

double naive_mmd2(const Tensor2& x, const Tensor2& y, double h) {
  return naive_kernel_mean(x, x, h, true) + naive_kernel_mean(y, y, h, true) -
         2 * naive_kernel_mean(x, y, h, false);
}

// Var g(Z), Z ~ N(mean, 1), by the trapezoid rule on mean +- 12.
template <typename G>
double normal_variance_of(G g, double mean) {
  const int steps = 24000;
  const double step = 24.0 / steps;
  double e1 = 0, e2 = 0;
  for (int k = 0; k <= steps; ++k) {
    const double z = -12 + k * step, w = (k == 0 || k == steps ? 0.5 : 1.0) * step;
    const double density = std::exp(-z * z / 2) / std::sqrt(2 * pi), v = g(mean + z);
    e1 += w * density * v;
    e2 += w * density * v * v;
  }
  return e2 - e1 * e1;
}

}  // namespace

TEST_CASE("mmd_rbf equals a naive float64 double loop for a given bandwidth") {
  Rng rng(1);
  for (std::size_t D : {1u, 2u, 5u}) {
    for (auto [n, m] : {std::pair<std::size_t, std::size_t>{2, 2}, {37, 53}, {300, 41}}) {
      for (double h : {0.3, 1.0, 4.0}) {
        INFO("D = " << D << ", n = " << n << ", m = " << m << ", h = " << h);
        const Tensor2 x = normal_points(rng, n, D), y = normal_points(rng, m, D, 0.5);
        const Mmd result = mmd_rbf(x, y, {h});
        CHECK(result.bandwidth == h);
        // Each kernel mean has relative error <= (2D + 24) 2^-24 plus as much absolute (the
        // kernel's argument error, tests/unit/kernels/test_pairwise.cpp); gamma = 1/(2h^2)
        // rounded to float adds 2^-24 relative to the argument: (2D + 26) 2^-24 in all.
        CHECK(std::abs(result.mmd2 - naive_mmd2(x, y, h)) <= mmd_rounding_bound(D));
      }
    }
  }
}

TEST_CASE("the median heuristic is the median of all pooled pairwise distances") {
  Rng rng(2);
  // 5 + 4 points: 36 pairs (even: mean of the middle two); 5 + 5: 45 pairs (odd).
  for (std::size_t m : {4u, 5u}) {
    const Tensor2 x = normal_points(rng, 5, 3), y = normal_points(rng, m, 3, 1.0);
    Tensor2 pooled = Tensor2::from_shape({5 + m, 3});
    for (std::size_t i = 0; i < 5 + m; ++i) {
      for (std::size_t d = 0; d < 3; ++d) pooled(i, d) = i < 5 ? x(i, d) : y(i - 5, d);
    }
    std::vector<double> distances;
    for (std::size_t i = 0; i < 5 + m; ++i) {
      for (std::size_t j = i + 1; j < 5 + m; ++j)
        distances.push_back(std::sqrt(squared_distance(pooled, i, pooled, j)));
    }
    std::sort(distances.begin(), distances.end());
    const std::size_t k = distances.size();
    const double median =
        k % 2 == 1 ? distances[k / 2] : (distances[k / 2 - 1] + distances[k / 2]) / 2;
    CHECK(mmd_median_bandwidth(x, y) == Approx(median).epsilon(1e-15));
    CHECK(mmd_rbf(x, y).bandwidth == Approx(median).epsilon(1e-15));
  }
}

TEST_CASE("the subsampled median heuristic estimates the median distance of N(0, 1) pairs") {
  // |X - X'| ~ |N(0, 2)|: median t = sqrt(2) Phi^-1(3/4). The empirical CDF of the pair distances
  // of K points at t is a U-statistic with variance <= 4 zeta_1 / K + 2 zeta_2 / (K (K - 1)),
  // zeta_1 = Var_z P(|z - Z'| <= t) = Var (Phi(z + t) - Phi(z - t)) (integrated numerically),
  // zeta_2 <= 1/4; divided by the density of |N(0, 2)| at t it is the median's standard error.
  const double t = std::sqrt(2.0) * 0.67448975019608174;
  const std::size_t K = 1000;
  const auto Phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  const double zeta1 = normal_variance_of([&](double z) { return Phi(z + t) - Phi(z - t); }, 0.0);
  const double se_cdf = std::sqrt(4 * zeta1 / K + 0.5 / (double(K) * (K - 1)));
  const double density = 2 * std::exp(-t * t / 4) / std::sqrt(4 * pi);
  Rng rng(3);
  const Tensor2 x = normal_points(rng, 12000, 1), y = normal_points(rng, 8000, 1);
  CHECK(std::abs(mmd_median_bandwidth(x, y, K) - t) <= test::z_bound * se_cdf / density);
}

TEST_CASE("mmd_rbf is symmetric, translation invariant and scales with the bandwidth") {
  Rng rng(4);
  Tensor2 x = normal_points(rng, 200, 2), y = normal_points(rng, 150, 2, 0.3);
  for (float& v : x) v = std::round(v * 1024.0f) / 1024.0f;  // the 2^-10 grid: exact shifts
  for (float& v : y) v = std::round(v * 1024.0f) / 1024.0f;
  const Mmd base = mmd_rbf(x, y, {0.75});
  CHECK(mmd_rbf(y, x, {0.75}).mmd2 == Approx(base.mmd2).margin(mmd_rounding_bound(2)));
  Tensor2 xs = x, ys = y, x2 = x, y2 = y;
  for (float& v : xs) v -= 3.0f;
  for (float& v : ys) v -= 3.0f;
  for (float& v : x2) v *= 2.0f;
  for (float& v : y2) v *= 2.0f;
  // Exact differences, and gamma d^2 unchanged when both scale by powers of two: bit for bit.
  CHECK(mmd_rbf(xs, ys, {0.75}).mmd2 == base.mmd2);
  CHECK(mmd_rbf(x2, y2, {1.5}).mmd2 == base.mmd2);
  // The median heuristic scales with the data, so the MMD with it is scale invariant too.
  CHECK(mmd_rbf(x2, y2).bandwidth == 2 * mmd_rbf(x, y).bandwidth);
  CHECK(mmd_rbf(x2, y2).mmd2 == mmd_rbf(x, y).mmd2);
}

TEST_CASE("mmd_rbf of a set with itself is -(2/n)(1 - mean off-diagonal kernel), below 0") {
  // With y = x the unbiased estimator is 2 S / (n (n - 1)) - 2 (S + n) / n^2, S = sum_{i != j} k,
  // which simplifies to -(2/n)(1 - S / (n (n - 1))): the U-statistic's price for being unbiased.
  Rng rng(5);
  const Tensor2 x = normal_points(rng, 120, 2);
  const double k_mean = naive_kernel_mean(x, x, 0.8, true);
  const double result = mmd_rbf(x, x, {0.8}).mmd2;
  CHECK(result < 0);
  CHECK(result == Approx(-2.0 / 120 * (1 - k_mean)).margin(mmd_rounding_bound(2)));
}

TEST_CASE("mmd_rbf is unbiased: N(0, 1) against N(d, 1) with h = 1 in closed form") {
  // E k(X, X') = c = sqrt(h^2 / (h^2 + 2)) and E k(X, Y) = c exp(-d^2 / (2 (h^2 + 2))), so
  // MMD^2 = 2 c (1 - exp(-d^2 / (2 (h^2 + 2)))). Tolerance from the Hoeffding decomposition as in
  // the energy distance test: first order 4 Var f / n + 4 Var g / m with f(x) = E k(x, X') -
  // E k(x, Y), g(y) = E k(y, Y') - E k(y, X), where E k(x, Z) = sqrt(h^2 / (h^2 + 1))
  // exp(-(x - EZ)^2 / (2 (h^2 + 1))); the degenerate rest has variance <= 2 Var k / (n (n - 1))
  // per within mean and <= Var k / (n m) for the cross mean, with Var k <= 1/4 (k in [0, 1]).
  const std::size_t n = 4000, m = 3000;  // the exp kernel is slow under the asan preset
  const double h = 1.0;
  Rng rng(6);
  for (double delta : {0.0, 1.0}) {
    INFO("delta = " << delta);
    const Tensor2 x = normal_points(rng, n, 1), y = normal_points(rng, m, 1, delta);
    const double c = std::sqrt(h * h / (h * h + 2));
    const double expected = 2 * c * (1 - std::exp(-delta * delta / (2 * (h * h + 2))));
    const auto mean_k = [h](double a, double mean) {
      return std::sqrt(h * h / (h * h + 1)) *
             std::exp(-(a - mean) * (a - mean) / (2 * (h * h + 1)));
    };
    const double var_f =
        normal_variance_of([&](double a) { return mean_k(a, 0) - mean_k(a, delta); }, 0.0);
    const double var_g =
        normal_variance_of([&](double b) { return mean_k(b, delta) - mean_k(b, 0); }, delta);
    const double second = std::sqrt(0.5 / (double(n) * (n - 1))) +
                          std::sqrt(0.5 / (double(m) * (m - 1))) +
                          2 * std::sqrt(0.25 / (double(n) * m));
    const double tolerance =
        test::z_bound * std::sqrt(4 * var_f / n + 4 * var_g / m + second * second);
    const double mmd2 = mmd_rbf(x, y, {h}).mmd2;
    CHECK(std::abs(mmd2 - expected) <= tolerance);
  }
}

TEST_CASE("mmd_rbf rejects bad sets, bandwidths and a degenerate median") {
  const Tensor2 a = Tensor2::from_shape({3, 2}), b = Tensor2::from_shape({3, 3});
  CHECK_THROWS_WITH(mmd_rbf(a, b, {1.0}), Catch::Contains("dimension 2 and 3"));
  CHECK_THROWS_WITH(mmd_rbf(Tensor2::from_shape({1, 2}), a, {1.0}), Catch::Contains("at least 2"));
  Tensor2 x = Tensor2::from_shape({4, 2});
  for (std::size_t i = 0; i < 4; ++i) x(i, 0) = float(i), x(i, 1) = 0;
  CHECK_THROWS_WITH(mmd_rbf(x, x, {-1.0}), Catch::Contains("bandwidth = -1"));
  CHECK_THROWS_WITH(mmd_rbf(x, x, {std::numeric_limits<double>::quiet_NaN()}),
                    Catch::Contains("bandwidth = nan"));
  CHECK_THROWS_WITH(mmd_rbf(x, x, {0.0, 1}), Catch::Contains("median_points = 1"));
  Tensor2 same = Tensor2::from_shape({4, 2});
  same.fill(1.5f);
  CHECK_THROWS_WITH(mmd_rbf(same, same), Catch::Contains("median-heuristic bandwidth is 0"));
}
