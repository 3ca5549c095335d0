// The energy distance: the estimators against a naive float64 double loop, exact symmetry,
// translation and scale behaviour on dyadic data, and the U-statistic's mean against the closed
// form for N(0, 1) against N(mu, 1) with a tolerance from its Hoeffding decomposition.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "metrics/energy_distance.hpp"
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

// Points on the grid 2^-10 Z within (-8, 8): sums with small integers and doublings are exact.
Tensor2 dyadic_points(Rng& rng, std::size_t n, std::size_t D) {
  Tensor2 x = normal_points(rng, n, D);
  for (float& v : x) v = std::round(v * 1024.0f) / 1024.0f;
  return x;
}

double naive_mean_distance(const Tensor2& a, const Tensor2& b, bool skip_same_index) {
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < a.shape(0); ++i) {
    for (std::size_t j = 0; j < b.shape(0); ++j) {
      if (skip_same_index && i == j) continue;
      double d2 = 0;
      for (std::size_t d = 0; d < a.shape(1); ++d) {
        const double diff = static_cast<double>(a(i, d)) - b(j, d);
        d2 += diff * diff;
      }
      sum += std::sqrt(d2);
      ++count;
    }
  }
  return sum / static_cast<double>(count);
}

// E|Z| for Z ~ N(m, s^2) (the folded normal's mean).
double folded_normal_mean(double m, double s) {
  const double Phi = 0.5 * std::erfc(m / (s * std::sqrt(2.0)));  // P(Z < 0) = Phi(-m / s)
  return s * std::sqrt(2.0 / pi) * std::exp(-m * m / (2 * s * s)) + m * (1 - 2 * Phi);
}

// Var g(Z), Z ~ N(mean, 1), by the trapezoid rule on mean +- 12 (the tails beyond hold < 1e-32).
template <typename G>
double normal_variance_of(G g, double mean) {
  const int steps = 24000;
  const double h = 24.0 / steps;
  double e1 = 0, e2 = 0;
  for (int k = 0; k <= steps; ++k) {
    const double z = -12 + k * h, w = (k == 0 || k == steps ? 0.5 : 1.0) * h;
    const double density = std::exp(-z * z / 2) / std::sqrt(2 * pi), v = g(mean + z);
    e1 += w * density * v;
    e2 += w * density * v * v;
  }
  return e2 - e1 * e1;
}

}  // namespace

TEST_CASE("energy distance equals a naive float64 double loop, U and V statistics") {
  Rng rng(1);
  for (std::size_t D : {1u, 2u, 3u}) {
    for (auto [n, m] : {std::pair<std::size_t, std::size_t>{2, 2}, {37, 53}, {300, 41}}) {
      INFO("D = " << D << ", n = " << n << ", m = " << m);
      const Tensor2 x = normal_points(rng, n, D), y = normal_points(rng, m, D, 0.3);
      const double A = naive_mean_distance(x, y, false);
      const double B = naive_mean_distance(x, x, true), C = naive_mean_distance(y, y, true);
      // V from its definition: the same means with the zero diagonal included.
      const double V = 2 * A - naive_mean_distance(x, x, false) - naive_mean_distance(y, y, false);
      const EnergyDistance e = energy_distance(x, y);
      // Float distances and float sums of <= 16 terms per lane: relative (2D + 24) 2^-24 of each
      // mean (tests/unit/kernels/test_pairwise.cpp), so of 4 (A + B + C) for the combinations.
      const double rel = (2.0 * D + 24) * std::ldexp(1.0, -24);
      CHECK(std::abs(e.cross_mean - A) <= rel * A);
      CHECK(std::abs(e.x_mean - B) <= rel * B);
      CHECK(std::abs(e.y_mean - C) <= rel * C);
      CHECK(std::abs(e.u_statistic - (2 * A - B - C)) <= 4 * rel * (A + B + C));
      CHECK(std::abs(e.v_statistic - V) <= 4 * rel * (A + B + C));
      CHECK(e.v_statistic >= 0);
    }
  }
}

TEST_CASE("energy distance is symmetric, translation invariant and homogeneous of degree 1") {
  Rng rng(2);
  const Tensor2 x = dyadic_points(rng, 300, 2), y = dyadic_points(rng, 200, 2);
  const EnergyDistance e = energy_distance(x, y), swapped = energy_distance(y, x);
  CHECK(swapped.x_mean == e.y_mean);  // the same pairs in the same order: bit for bit
  CHECK(swapped.y_mean == e.x_mean);
  // The cross sum runs in the other order: each has relative error <= (2D + 24) 2^-24.
  const double rel = (2.0 * 2 + 24) * std::ldexp(1.0, -24);
  CHECK(swapped.u_statistic == Approx(e.u_statistic).margin(4 * rel * e.cross_mean));
  // On the 2^-10 grid, x + 5 and 2x are exact, so every difference and distance is exact too.
  Tensor2 xs = x, ys = y, x2 = x, y2 = y;
  for (float& v : xs) v += 5.0f;
  for (float& v : ys) v += 5.0f;
  for (float& v : x2) v *= 2.0f;
  for (float& v : y2) v *= 2.0f;
  const EnergyDistance shifted = energy_distance(xs, ys), doubled = energy_distance(x2, y2);
  CHECK(shifted.u_statistic == e.u_statistic);
  CHECK(shifted.v_statistic == e.v_statistic);
  CHECK(doubled.u_statistic == 2 * e.u_statistic);
  CHECK(doubled.v_statistic == 2 * e.v_statistic);
}

TEST_CASE("energy distance U-statistic is unbiased: N(0, 1) against N(mu, 1) in closed form") {
  // D^2 = 2 E|X - Y| - E|X - X'| - E|Y - Y'| with X - Y ~ N(-mu, 2), X - X' ~ N(0, 2).
  // Tolerance (Hoeffding decomposition of U = 2A - B - C): the first-order part is
  // (1/n) sum_i 2 g(x_i) + (1/m) sum_j 2 h(y_j) with g(x) = E|x - Y| - E|x - X'| and
  // h(y) = E|y - X| - E|y - Y'| (both folded-normal means), variance 4 Var g / n + 4 Var h / m
  // (integrated numerically). The rest is degenerate with variance <= 2 Var|X - X'| / (n (n - 1))
  // for B (<= E|X - X'|^2 = 2), likewise C, and <= E|X - Y|^2 / (n m) = (2 + mu^2) / (n m) for A.
  const std::size_t n = 10000, m = 10000;
  Rng rng(3);
  for (double mu : {0.0, 0.5, 2.0}) {
    INFO("mu = " << mu);
    const Tensor2 x = normal_points(rng, n, 1), y = normal_points(rng, m, 1, mu);
    const double sqrt2 = std::sqrt(2.0);
    const double expected = 2 * folded_normal_mean(mu, sqrt2) - 2 * folded_normal_mean(0, sqrt2);
    const double var_g = normal_variance_of(
        [mu](double a) { return folded_normal_mean(a - mu, 1) - folded_normal_mean(a, 1); }, 0.0);
    const double var_h = normal_variance_of(
        [mu](double b) { return folded_normal_mean(b, 1) - folded_normal_mean(b - mu, 1); }, mu);
    const double first = 4 * var_g / n + 4 * var_h / m;
    const double second = 2 * std::sqrt((2 + mu * mu) / (double(n) * m)) +
                          std::sqrt(4.0 / (double(n) * (n - 1))) +
                          std::sqrt(4.0 / (double(m) * (m - 1)));
    const double tolerance = test::z_bound * std::sqrt(first + second * second);
    CHECK(std::abs(energy_distance(x, y).u_statistic - expected) <= tolerance);
  }
}

TEST_CASE("energy distance rejects mismatched dimensions and sets of fewer than 2 points") {
  CHECK_THROWS_WITH(energy_distance(Tensor2::from_shape({3, 2}), Tensor2::from_shape({3, 3})),
                    Catch::Contains("dimension 2 and 3"));
  CHECK_THROWS_WITH(energy_distance(Tensor2::from_shape({1, 2}), Tensor2::from_shape({3, 2})),
                    Catch::Contains("between 1 and 3 points") && Catch::Contains("at least 2"));
  CHECK_THROWS_WITH(energy_distance(Tensor2::from_shape({3, 0}), Tensor2::from_shape({3, 0})),
                    Catch::Contains("at least 1"));
}
