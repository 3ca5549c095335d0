// Gaussian identities against numeric integration in 1D.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "base/rng.hpp"
#include "diffusion/gaussian.hpp"
#include "support/quadrature.hpp"

using namespace diffuse;
using diffuse::test::simpson;

TEST_CASE("KL(p || p) = 0 and KL >= 0") {
  Rng rng(8);
  for (int i = 0; i < 1000; ++i) {
    const double m1 = 3 * rng.normal(), m2 = 3 * rng.normal();
    const double lv1 = 2 * rng.normal(), lv2 = 2 * rng.normal();
    CHECK(normal_kl(m1, lv1, m1, lv1) == 0.0);
    CHECK(normal_kl(m1, lv1, m2, lv2) >= 0.0);
  }
}

TEST_CASE("the closed-form KL equals numeric integration of p log(p / q)") {
  struct Case {
    double m1, lv1, m2, lv2;
  };
  for (const Case c : {Case{0, 0, 0, 0.5}, Case{1.5, -1, -0.5, 0.3}, Case{0.2, -4, 0.1, -3.5},
                       Case{-2, 1, 2, 1}}) {
    const double s1 = std::exp(0.5 * c.lv1);
    auto integrand = [&](double x) {
      const double lp = normal_log_density(x, c.m1, c.lv1);
      const double lq = normal_log_density(x, c.m2, c.lv2);
      return std::exp(lp) * (lp - lq);
    };
    // +-14 sigma holds all but 1e-44 of p's mass; Simpson with 20000 intervals of 0.0014 sigma
    // has an error of order h^4 f'''' ~ 1e-12.
    const double numeric = simpson(integrand, c.m1 - 14 * s1, c.m1 + 14 * s1, 20000);
    CHECK(normal_kl(c.m1, c.lv1, c.m2, c.lv2) == Approx(numeric).epsilon(1e-9).margin(1e-12));
  }
}

TEST_CASE("the normal density integrates to one") {
  const double total = simpson([](double x) { return std::exp(normal_log_density(x, 0.3, -0.7)); },
                               -10, 10, 20000);
  CHECK(total == Approx(1.0).epsilon(1e-10));
}

TEST_CASE("log Phi is accurate in both tails") {
  CHECK(standard_normal_log_cdf(0.0) == Approx(std::log(0.5)).epsilon(1e-15));
  CHECK(standard_normal_log_cdf(-5.0) == Approx(std::log(2.866515718791939e-07)).epsilon(1e-12));
  // Far below where erfc underflows: log Phi(-40) = -804.608442013754 (Mills ratio series).
  CHECK(standard_normal_log_cdf(-40.0) == Approx(-804.6084420137538).epsilon(1e-12));
  CHECK(standard_normal_log_cdf(10.0) == Approx(-7.619853024160527e-24).epsilon(1e-9));
  CHECK(std::isfinite(standard_normal_log_cdf(-1e3)));
}

TEST_CASE("discretized Gaussian: bin masses sum to one and match the integrated density") {
  for (int levels : {2, 17, 256}) {
    for (double mean : {-1.0, -0.2, 0.6, 1.3}) {
      for (double log_scale : {-6.0, -2.0, 0.0}) {
        double total = 0;
        for (int k = 0; k < levels; ++k) {
          const double x = -1.0 + 2.0 * k / (levels - 1);
          const double lp = discretized_gaussian_log_likelihood(x, mean, log_scale, levels);
          REQUIRE(std::isfinite(lp));
          REQUIRE(lp <= 0.0);
          total += std::exp(lp);
          if (k > 0 && k < levels - 1 && log_scale == 0.0) {
            const double h = 1.0 / (levels - 1);
            const double mass = simpson(
                [&](double y) { return std::exp(normal_log_density(y, mean, 2 * log_scale)); },
                x - h, x + h, 200);
            CHECK(std::exp(lp) == Approx(mass).epsilon(1e-9));
          }
        }
        CHECK(total == Approx(1.0).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("discretized Gaussian stays finite far from the mean") {
  // 40 standard deviations away: the mass is ~1e-350, below double's range; the log must not
  // become -inf or NaN.
  const double lp = discretized_gaussian_log_likelihood(0.5, -0.5, std::log(0.025), 256);
  CHECK(std::isfinite(lp));
  CHECK(lp < -700.0);
}

// The derivatives in the log variance (or log scale) that train a learned variance, against
// central differences in float64: with step h the truncation error is h^2 f''' / 6 and the
// rounding error ~1e-16 |f| / h; at h = 1e-5 both are below 1e-9 for these O(1) functions with
// O(1) derivatives, so 1e-7 (relative, plus 1e-9 absolute) is a margin of 100.
TEST_CASE("the log-variance derivatives match central differences") {
  const double h = 1e-5;
  const auto central = [&](const std::function<double(double)>& f, double x) {
    return (f(x + h) - f(x - h)) / (2 * h);
  };
  Rng rng(21);
  for (int i = 0; i < 200; ++i) {
    const double m1 = rng.normal(), m2 = m1 + 0.5 * rng.normal(), x = rng.normal();
    const double lv1 = -1 + rng.normal(), lv2 = -1 + rng.normal();
    const double kl = central([&](double v) { return normal_kl(m1, lv1, m2, v); }, lv2);
    CHECK(normal_kl_dlog_var2(m1, lv1, m2, lv2) == Approx(kl).epsilon(1e-7).margin(1e-9));
    const double density = central([&](double v) { return normal_log_density(x, m2, v); }, lv2);
    CHECK(normal_log_density_dlog_var(x, m2, lv2) == Approx(density).epsilon(1e-7).margin(1e-9));
  }
}

// The discretized decoder's derivative in log_scale, at interior and edge bins, near and far
// (up to ~6 standard deviations, where the mass is ~1e-9 and the ratio still O(1-10)) from the
// mean; the same central-difference bound as above (the log mass is smooth in log_scale).
TEST_CASE("the discretized decoder's log-scale derivative matches central differences") {
  const double h = 1e-5;
  for (int levels : {2, 17, 256}) {
    for (double x : {-1.0, -1.0 + 2.0 / (levels - 1), 0.0 + (levels % 2 ? 0.0 : 1.0 / (levels - 1)), 1.0}) {
      for (double mean : {-0.9, 0.0, 0.35, 1.1}) {
        for (double log_scale : {-5.0, -3.0, -1.0, 0.5}) {
          if (std::fabs(x - mean) * std::exp(-log_scale) > 6.0) continue;
          INFO("levels " << levels << " x " << x << " mean " << mean << " log_scale " << log_scale);
          const auto f = [&](double s) { return discretized_gaussian_log_likelihood(x, mean, s, levels); };
          const double numeric = (f(log_scale + h) - f(log_scale - h)) / (2 * h);
          CHECK(discretized_gaussian_log_likelihood_dlog_scale(x, mean, log_scale, levels) ==
                Approx(numeric).epsilon(1e-6).margin(1e-8));
        }
      }
    }
  }
}
