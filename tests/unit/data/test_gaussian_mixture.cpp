// The Gaussian mixture (data/gaussian_mixture.hpp) against independent computations: the density
// by a direct product-of-exponentials sum and by quadrature (it integrates to 1, its moments equal
// the closed forms), sampling by the statistics of many draws, and the normalization by the
// change-of-variables identity.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "base/error.hpp"
#include "data/gaussian_mixture.hpp"
#include "support/statistics.hpp"

using namespace diffuse;

namespace {

constexpr double pi = 3.14159265358979323846;

// Three unequal, anisotropic components in 2D.
GaussianMixture lopsided() {
  Table weights = {0.5, 0.3, 0.2};
  MixtureMatrix means = {{-1.0, 0.5}, {2.0, 0.0}, {0.0, -2.0}};
  MixtureMatrix stds = {{0.3, 0.6}, {0.5, 0.2}, {0.4, 0.4}};
  return gaussian_mixture_make(weights, means, stds);
}

// p(x) = sum_k w_k prod_d exp(-(x_d - mu)^2 / (2 s^2)) / (s sqrt(2 pi)), term by term.
double direct_density(const GaussianMixture& m, double x, double y) {
  double p = 0.0;
  for (std::size_t k = 0; k < m.components(); ++k) {
    double term = m.weights(k);
    const double point[2] = {x, y};
    for (std::size_t d = 0; d < 2; ++d) {
      const double z = (point[d] - m.means(k, d)) / m.stds(k, d);
      term *= std::exp(-0.5 * z * z) / (m.stds(k, d) * std::sqrt(2.0 * pi));
    }
    p += term;
  }
  return p;
}

double log_density_at(const GaussianMixture& m, double x, double y) {
  Tensor2 point = {{float(x), float(y)}};
  Table out;
  gaussian_mixture_log_density(out, m, point);
  return out(0);
}

}  // namespace

TEST_CASE("gaussians8 and gaussians25 are the reference workload's definitions") {
  const GaussianMixture g8 = gaussian_mixture_gaussians8();
  REQUIRE(g8.components() == 8);
  REQUIRE(g8.dims() == 2);
  for (std::size_t k = 0; k < 8; ++k) {
    CHECK(g8.weights(k) == Approx(0.125).margin(1e-15));
    CHECK(g8.means(k, 0) == Approx(2.0 * std::cos(2.0 * pi * k / 8.0)).margin(1e-15));
    CHECK(g8.means(k, 1) == Approx(2.0 * std::sin(2.0 * pi * k / 8.0)).margin(1e-15));
    CHECK(g8.stds(k, 0) == 0.1);
    CHECK(g8.stds(k, 1) == 0.1);
  }
  const GaussianMixture g25 = gaussian_mixture_from_name("gaussians25");
  REQUIRE(g25.components() == 25);
  int found = 0;
  for (int i = -2; i <= 2; ++i) {
    for (int j = -2; j <= 2; ++j) {
      for (std::size_t k = 0; k < 25; ++k) {
        if (g25.means(k, 0) == i && g25.means(k, 1) == j) ++found;
      }
    }
  }
  CHECK(found == 25);
  CHECK(g25.stds(7, 1) == 0.05);
  CHECK(g25.weights(3) == Approx(0.04).margin(1e-15));
  CHECK_THROWS_WITH(gaussian_mixture_from_name("moons"),
                    Catch::Contains("moons") && Catch::Contains("gaussians8, gaussians25"));
}

TEST_CASE("invalid mixtures are rejected with the bad value named") {
  MixtureMatrix means = {{0.0}, {1.0}};
  MixtureMatrix stds = {{1.0}, {1.0}};
  CHECK_THROWS_WITH(gaussian_mixture_make(Table{0.5, 0.6}, means, stds),
                    Catch::Contains("sum to 1.1"));
  CHECK_THROWS_WITH(gaussian_mixture_make(Table{1.5, -0.5}, means, stds),
                    Catch::Contains("weight 1 = -0.5"));
  CHECK_THROWS_WITH(gaussian_mixture_make(Table{0.5, 0.5}, means, MixtureMatrix{{1.0}, {0.0}}),
                    Catch::Contains("std (1, 0) = 0"));
  CHECK_THROWS_WITH(gaussian_mixture_make(Table{1.0}, means, stds), Catch::Contains("1 weights"));
  CHECK_THROWS_AS(gaussian_mixture_normalized(lopsided(), Table{0.0, 0.0}, Table{1.0, -1.0}),
                  Error);
}

TEST_CASE("log density equals the direct sum of component densities") {
  for (const GaussianMixture& m : {lopsided(), gaussian_mixture_gaussians8()}) {
    for (double x : {-1.5, -0.3, 0.0, 0.7, 1.9}) {
      for (double y : {-1.8, -0.2, 0.4, 1.4}) {
        // float inputs: compare at the float-rounded point.
        const double xf = float(x), yf = float(y);
        const double direct = direct_density(m, xf, yf);
        if (direct < 1e-280) continue;  // the direct sum underflows; covered below
        CHECK(log_density_at(m, x, y) == Approx(std::log(direct)).epsilon(1e-12).margin(1e-12));
      }
    }
  }
  // Far from every centre the direct sum underflows but log-sum-exp stays finite and lies between
  // the largest component's log joint and that plus log K.
  const GaussianMixture g8 = gaussian_mixture_gaussians8();
  Tensor2 far = {{40.0f, 0.0f}};
  MixtureMatrix joint;
  gaussian_mixture_log_joint(joint, g8, far);
  double peak = -1e300;
  for (std::size_t k = 0; k < 8; ++k) peak = std::max(peak, joint(0, k));
  const double value = log_density_at(g8, 40.0, 0.0);
  CHECK(std::isfinite(value));
  CHECK(value >= peak);
  CHECK(value <= peak + std::log(8.0));
}

TEST_CASE("the density integrates to 1 and has the closed-form moments (quadrature)") {
  // Trapezoid rule on a grid with step 1/10 of the narrowest std over +-8 std beyond the centres:
  // for Gaussians the trapezoid error decays like exp(-2 pi^2 (s/h)^2), far below 1e-9.
  const GaussianMixture m = lopsided();
  const double h = 0.02, lo_x = -4.0, hi_x = 6.5, lo_y = -5.5, hi_y = 5.5;
  const int nx = int(std::lround((hi_x - lo_x) / h)), ny = int(std::lround((hi_y - lo_y) / h));
  double mass = 0, mx = 0, my = 0, mxx = 0, myy = 0;
  for (int i = 0; i <= nx; ++i) {
    for (int j = 0; j <= ny; ++j) {
      const double x = lo_x + i * h, y = lo_y + j * h;
      const double w = (i == 0 || i == nx ? 0.5 : 1.0) * (j == 0 || j == ny ? 0.5 : 1.0);
      const double p = w * direct_density(m, x, y) * h * h;
      mass += p;
      mx += p * x;
      my += p * y;
      mxx += p * x * x;
      myy += p * y * y;
    }
  }
  CHECK(mass == Approx(1.0).margin(1e-9));
  const Table mean = gaussian_mixture_mean(m), var = gaussian_mixture_variance(m);
  CHECK(mean(0) == Approx(mx).margin(1e-9));
  CHECK(mean(1) == Approx(my).margin(1e-9));
  CHECK(var(0) == Approx(mxx - mx * mx).margin(1e-8));
  CHECK(var(1) == Approx(myy - my * my).margin(1e-8));
}

TEST_CASE("samples have the component proportions, means and spreads of the mixture") {
  const GaussianMixture m = lopsided();
  const std::size_t n = 200000;
  Rng rng(7);
  Tensor2 x;
  std::vector<int> components;
  gaussian_mixture_sample(x, &components, m, n, rng);
  REQUIRE(x.shape(0) == n);
  for (std::size_t k = 0; k < m.components(); ++k) {
    const double p = m.weights(k);
    std::size_t count = 0;
    double sum[2] = {0, 0}, sum_sq[2] = {0, 0};
    for (std::size_t b = 0; b < n; ++b) {
      if (components[b] != int(k)) continue;
      ++count;
      for (std::size_t d = 0; d < 2; ++d) {
        sum[d] += x(b, d);
        sum_sq[d] += double(x(b, d)) * x(b, d);
      }
    }
    // The count is Binomial(n, p): standard deviation sqrt(n p (1 - p)).
    CHECK(std::abs(double(count) - n * p) <= test::z_bound * std::sqrt(n * p * (1 - p)));
    for (std::size_t d = 0; d < 2; ++d) {
      const double s2 = m.stds(k, d) * m.stds(k, d);
      const double mean = sum[d] / count, var = sum_sq[d] / count - mean * mean;
      CHECK(std::abs(mean - m.means(k, d)) <= test::mean_tolerance(s2, count));
      CHECK(std::abs(var - s2) <= test::gaussian_variance_tolerance(s2, count));
    }
  }
  // The same seed draws the same points.
  Rng again(7);
  Tensor2 y;
  gaussian_mixture_sample(y, nullptr, m, n, again);
  CHECK(bool(y == x));
}

TEST_CASE("assign recovers the generating component of well separated gaussians8 samples") {
  // Neighbouring centres are 4 sin(pi / 8) = 1.53 apart, 15 std: a sample lands nearer another
  // centre with probability Phi(-7.65) ~ 1e-14.
  const GaussianMixture g8 = gaussian_mixture_gaussians8();
  Rng rng(3);
  Tensor2 x;
  std::vector<int> truth, assigned;
  gaussian_mixture_sample(x, &truth, g8, 20000, rng);
  gaussian_mixture_assign(assigned, g8, x);
  CHECK(assigned == truth);
}

TEST_CASE("the normalized mixture is the density of (x - mean) / std") {
  const GaussianMixture m = lopsided();
  const Table mean = gaussian_mixture_mean(m), var = gaussian_mixture_variance(m);
  Table std_dev = Table::from_shape({2});
  for (std::size_t d = 0; d < 2; ++d) std_dev(d) = std::sqrt(var(d));
  const GaussianMixture z = gaussian_mixture_normalized(m, mean, std_dev);
  // Exact moments of the normalized mixture: 0 and 1.
  const Table z_mean = gaussian_mixture_mean(z), z_var = gaussian_mixture_variance(z);
  for (std::size_t d = 0; d < 2; ++d) {
    CHECK(z_mean(d) == Approx(0.0).margin(1e-14));
    CHECK(z_var(d) == Approx(1.0).epsilon(1e-13));
  }
  // Change of variables: log p_z((x - m) / s) = log p(x) + sum_d log s_d.
  const double log_std_sum = std::log(std_dev(0)) + std::log(std_dev(1));
  for (double x : {-1.2, 0.4, 2.1}) {
    for (double y : {-2.2, 0.0, 0.6}) {
      const double xf = float(x), yf = float(y);
      const double zx = (xf - mean(0)) / std_dev(0), zy = (yf - mean(1)) / std_dev(1);
      CHECK(std::log(direct_density(z, zx, zy)) ==
            Approx(std::log(direct_density(m, xf, yf)) + log_std_sum).epsilon(1e-12));
    }
  }
}
