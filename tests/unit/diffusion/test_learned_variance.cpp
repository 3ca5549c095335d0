// Improved DDPM's learned variance against independent computations: Sigma against the formula
// written from the tables' definitions (beta~ from alpha_bar, not the schedule's table), L_vlb's
// KL against numeric integration of q log(q / p), the decoder terms against the densities written
// out, and the gradient in log Sigma against central differences.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "base/rng.hpp"
#include "diffusion/forward_process.hpp"
#include "diffusion/gaussian.hpp"
#include "support/quadrature.hpp"
#include "diffusion/learned_variance.hpp"

using namespace diffuse;
using diffuse::test::simpson;

namespace {

NoiseSchedule linear_schedule(int T = 1000) {
  ScheduleConfig c;
  c.timesteps = T;
  return schedule_make(c);
}

// beta~_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t (seed 004 eq. 12), from alpha_bar alone.
double beta_tilde(const NoiseSchedule& s, int t) {
  const double ab = s.alpha_bar(static_cast<std::size_t>(t));
  const double ab_prev = t > 0 ? s.alpha_bar(static_cast<std::size_t>(t - 1)) : 1.0;
  return (1.0 - ab_prev) / (1.0 - ab) * (1.0 - ab / ab_prev);
}


}  // namespace

TEST_CASE("learned_range Sigma = exp(v log beta + (1 - v) log beta~), v = (o + 1) / 2") {
  const NoiseSchedule s = linear_schedule();
  for (int t : {1, 2, 10, 500, 999}) {
    const LogVarianceRange range = learned_variance_range(s, t);
    const double beta = 1.0 - s.alpha_bar(t) / s.alpha_bar(t - 1), small = beta_tilde(s, t);
    // Tables and the formula differ only by rounding of products of ~t factors: 1e-12 relative.
    CHECK(std::exp(learned_log_variance(1.0, range)) == Approx(beta).epsilon(1e-9));
    CHECK(std::exp(learned_log_variance(-1.0, range)) == Approx(small).epsilon(1e-9));
    CHECK(std::exp(learned_log_variance(0.0, range)) == Approx(std::sqrt(beta * small)).epsilon(1e-9));
    const double o = 0.3, v = 0.65;
    CHECK(std::exp(learned_log_variance(o, range)) ==
          Approx(std::pow(beta, v) * std::pow(small, 1 - v)).epsilon(1e-9));
    // The respaced range with prev = t - 1 is the same chain's.
    const LogVarianceRange between = learned_variance_range_between(s, t, t - 1);
    CHECK(between.log_beta == Approx(range.log_beta).epsilon(1e-9));
    CHECK(between.log_beta_tilde == Approx(range.log_beta_tilde).epsilon(1e-9));
  }
  // t = 0: beta~_0 = 0, so the lower end is clipped to beta~_1 (improved-diffusion's min_log).
  const LogVarianceRange first = learned_variance_range(s, 0);
  CHECK(std::exp(first.log_beta_tilde) == Approx(beta_tilde(s, 1)).epsilon(1e-9));
  CHECK(std::exp(first.log_beta) == Approx(s.beta(0)).epsilon(1e-12));
  // A respaced step from t to prev: beta' = 1 - ab_t / ab_prev, beta~' = (1 - ab_prev)/(1 - ab_t) beta'.
  const LogVarianceRange jump = learned_variance_range_between(s, 600, 400);
  const double b = 1.0 - s.alpha_bar(600) / s.alpha_bar(400);
  CHECK(std::exp(jump.log_beta) == Approx(b).epsilon(1e-12));
  CHECK(std::exp(jump.log_beta_tilde) ==
        Approx((1.0 - s.alpha_bar(400)) / (1.0 - s.alpha_bar(600)) * b).epsilon(1e-12));
}

TEST_CASE("L_vlb terms: the KL and the decoders against numeric integration and densities") {
  const NoiseSchedule s = linear_schedule();
  const std::size_t B = 6, D = 2;
  Rng rng(5);
  Tensor2 x0 = Tensor2::from_shape({B, D}), eps = Tensor2::from_shape({B, D}), x_t;
  Tensor2 x0_hat = Tensor2::from_shape({B, D}), o = Tensor2::from_shape({B, D});
  LogVariances log_var;
  rng.fill_normal(x0.data(), x0.size());
  rng.fill_normal(eps.data(), eps.size());
  rng.fill_uniform(o.data(), o.size());
  for (float& v : o) v = 2 * v - 1;
  Steps t = Steps::from_shape({B});
  const int steps[] = {0, 1, 3, 50, 400, 999};
  for (std::size_t b = 0; b < B; ++b) t(b) = steps[b];
  q_sample(x_t, x0, eps, t, s);
  for (std::size_t i = 0; i < x0.size(); ++i) x0_hat.data()[i] = x0.data()[i] + 0.05f * eps.data()[i];
  learned_log_variances(log_var, o, t, s);
  std::vector<double> terms;
  vlb_terms(terms, nullptr, x0, x_t, x0_hat, log_var, t, s, 0);
  for (std::size_t b = 0; b < B; ++b) {
    INFO("t = " << t(b));
    const auto i = static_cast<std::size_t>(t(b));
    double expected = 0;
    for (std::size_t d = 0; d < D; ++d) {
      const double c0 = s.posterior_mean_coef1(i), ct = s.posterior_mean_coef2(i);
      const double mean_p = c0 * x0_hat(b, d) + ct * x_t(b, d);
      const double var_p = std::exp(learned_log_variance(o(b, d), learned_variance_range(s, t(b))));
      if (t(b) == 0) {  // -log N(x0; mean_p, var_p), written out
        const double z = x0(b, d) - mean_p;
        expected += 0.5 * std::log(2 * M_PI * var_p) + z * z / (2 * var_p);
        continue;
      }
      // KL(q || p) = int q log(q / p) over +-14 standard deviations of q (the tails beyond hold
      // < 1e-40 of the mass); 20,000 Simpson intervals of width 1.4e-3 sd: error ~1e-12 relative.
      const double mean_q = c0 * x0(b, d) + ct * x_t(b, d), var_q = beta_tilde(s, t(b));
      const auto log_q = [&](double x) { return -0.5 * std::log(2 * M_PI * var_q) - (x - mean_q) * (x - mean_q) / (2 * var_q); };
      const auto log_p = [&](double x) { return -0.5 * std::log(2 * M_PI * var_p) - (x - mean_p) * (x - mean_p) / (2 * var_p); };
      const double sd = std::sqrt(var_q);
      expected += simpson([&](double x) { return std::exp(log_q(x)) * (log_q(x) - log_p(x)); },
                          mean_q - 14 * sd, mean_q + 14 * sd, 20000);
    }
    // Both float64: Simpson's error (1e-12 relative) and rounding; 1e-9 is ample.
    CHECK(terms[b] == Approx(expected).epsilon(1e-9).margin(1e-10));
  }
  // The discretized decoder at t = 0 equals the bin's integrated density (17 levels).
  Tensor2 grid = x0;
  for (float& v : grid) v = static_cast<float>(std::round((std::clamp(v, -1.0f, 1.0f) + 1) * 8) / 8 - 1);
  Steps zero = Steps::from_shape({B});
  zero.fill(0);
  Tensor2 x1;
  q_sample(x1, grid, eps, zero, s);
  learned_log_variances(log_var, o, zero, s);
  vlb_terms(terms, nullptr, grid, x1, grid, log_var, zero, s, 17);
  for (std::size_t b = 0; b < B; ++b) {
    double expected = 0;
    for (std::size_t d = 0; d < D; ++d) {
      const double mean = s.posterior_mean_coef1(0) * grid(b, d) + s.posterior_mean_coef2(0) * x1(b, d);
      const double sd = std::exp(0.5 * log_var(b, d)), x = grid(b, d), half = 1.0 / 16;
      const double lo = x < -1 + half ? mean - 40 * sd : x - half, hi = x > 1 - half ? mean + 40 * sd : x + half;
      const double mass = simpson([&](double y) { return std::exp(-(y - mean) * (y - mean) / (2 * sd * sd)) / (sd * std::sqrt(2 * M_PI)); },
                                  std::min(lo, hi), hi, 200000);
      expected -= std::log(mass);
    }
    // The bins are ~12 sd wide at t = 0, so the mass is ~1 and the integral's error ~1e-12.
    CHECK(terms[b] == Approx(expected).epsilon(1e-6).margin(1e-7));
  }
}

// d L_t / d log Sigma against central differences of vlb_terms in its float64 input, step 2^-10:
// the terms' third derivative in log var is O(term + 1), so the truncation error h^2/6 f''' is
// ~2e-7 relative (rounding: 1e-16 / 1e-3); 1e-5 is a margin of 50.
TEST_CASE("L_vlb's gradient in log Sigma matches central differences (mean held fixed)") {
  const NoiseSchedule s = linear_schedule();
  const std::size_t B = 5, D = 3;
  Rng rng(9);
  Tensor2 x0 = Tensor2::from_shape({B, D}), eps = Tensor2::from_shape({B, D}), x_t;
  Tensor2 o = Tensor2::from_shape({B, D});
  LogVariances log_var, grad;
  rng.fill_normal(x0.data(), x0.size());
  rng.fill_normal(eps.data(), eps.size());
  rng.fill_normal(o.data(), o.size());
  Steps t = Steps::from_shape({B});
  const int steps[] = {0, 1, 20, 300, 999};
  for (std::size_t b = 0; b < B; ++b) t(b) = steps[b];
  q_sample(x_t, x0, eps, t, s);
  Tensor2 x0_hat = x0;
  for (std::size_t i = 0; i < x0.size(); ++i) x0_hat.data()[i] += 0.1f * eps.data()[i];
  learned_log_variances(log_var, o, t, s);
  for (int levels : {0, 17}) {
    std::vector<double> terms, up, down;
    vlb_terms(terms, &grad, x0, x_t, x0_hat, log_var, t, s, levels);
    for (std::size_t b = 0; b < B; ++b) {
      for (std::size_t d = 0; d < D; ++d) {
        INFO("levels " << levels << " t " << t(b) << " d " << d);
        const double h = 1.0 / 1024, keep = log_var(b, d);
        log_var(b, d) = keep + h;
        vlb_terms(up, nullptr, x0, x_t, x0_hat, log_var, t, s, levels);
        log_var(b, d) = keep - h;
        vlb_terms(down, nullptr, x0, x_t, x0_hat, log_var, t, s, levels);
        log_var(b, d) = keep;
        const double numeric = (up[b] - down[b]) / (2.0 * h);
        CHECK(grad(b, d) == Approx(numeric).epsilon(1e-5).margin(1e-6));
      }
    }
  }
}
