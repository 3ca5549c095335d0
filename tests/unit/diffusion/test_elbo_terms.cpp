// The ELBO's per-example terms (diffusion/elbo_terms.hpp) against independent computations:
// L_T against its closed form, each denoising KL against numeric integration of
// q log(q / p) with q(x_{t-1} | x_t, x_0) built by Bayes' rule on a grid (not from eq. 11), and
// the decoders against direct densities and the quadrature of the Gaussian over a bin.
#include <catch2/catch.hpp>

#include <cmath>

#include "diffusion/elbo_terms.hpp"

using namespace diffuse;

namespace {

constexpr double pi = 3.14159265358979323846;

struct Grid {
  double lo, h;
  std::vector<double> density;  // normalized on the grid
  double mean, variance;
};

// Bayes on a grid: q(y) ∝ N(x_t; sqrt(alpha_t) y, beta_t) N(y; sqrt(ab_{t-1}) x0, 1 - ab_{t-1})
// (seed 004 Part C), over +-14 sd of the conditional around its mean, 6000 intervals.
Grid bayes_posterior(const NoiseSchedule& s, int t, double x0, double x_t) {
  const double prior_mean = std::sqrt(s.alpha_bar_prev(t)) * x0;
  const double prior_var = 1 - s.alpha_bar_prev(t);
  auto log_joint = [&](double y) {
    const double a = x_t - std::sqrt(s.alpha(t)) * y, b = y - prior_mean;
    return -0.5 * a * a / s.beta(t) - 0.5 * b * b / prior_var;
  };
  // Locate the peak and width from the quadratic's coefficients (a grid-independent first pass).
  const double precision = s.alpha(t) / s.beta(t) + 1 / prior_var;
  const double centre =
      (std::sqrt(s.alpha(t)) * x_t / s.beta(t) + prior_mean / prior_var) / precision;
  const double sd = 1 / std::sqrt(precision);
  Grid g{centre - 14 * sd, 28 * sd / 6000, {}, 0, 0};
  const double peak = log_joint(centre);
  double z = 0, m1 = 0, m2 = 0;
  for (int i = 0; i <= 6000; ++i) {
    const double y = g.lo + i * g.h, w = (i == 0 || i == 6000 ? 0.5 : 1.0);
    const double p = std::exp(log_joint(y) - peak);
    g.density.push_back(p);
    z += w * p * g.h;
    m1 += w * p * g.h * y;
    m2 += w * p * g.h * y * y;
  }
  for (double& p : g.density) p /= z;
  g.mean = m1 / z;
  g.variance = m2 / z - g.mean * g.mean;
  return g;
}

// KL(q || N(mean_p, var_p)) = integral q log(q / p) by the trapezoid rule on q's grid.
double kl_by_quadrature(const Grid& q, double mean_p, double var_p) {
  double kl = 0;
  for (std::size_t i = 0; i < q.density.size(); ++i) {
    const double y = q.lo + i * q.h, w = (i == 0 || i + 1 == q.density.size() ? 0.5 : 1.0);
    if (q.density[i] <= 0) continue;
    const double log_p =
        -0.5 * std::log(2 * pi * var_p) - 0.5 * (y - mean_p) * (y - mean_p) / var_p;
    kl += w * q.h * q.density[i] * (std::log(q.density[i]) - log_p);
  }
  return kl;
}

}  // namespace

TEST_CASE("L_T is KL(N(sqrt(ab) x0, 1 - ab) || N(0, 1)) in closed form, 0 with zero SNR") {
  const NoiseSchedule s = schedule_make({});
  const double ab = s.alpha_bar(999);
  const Tensor2 x0 = {{0.3f, -1.7f}, {2.5f, 0.0f}};
  std::vector<double> out;
  elbo_prior_terms(out, x0, s);
  for (std::size_t b = 0; b < 2; ++b) {
    double expected = 0;
    for (std::size_t d = 0; d < 2; ++d) {
      const double x = x0(b, d);
      expected += 0.5 * (-std::log(1 - ab) + (1 - ab) + ab * x * x - 1);
    }
    CHECK(out[b] == Approx(expected).epsilon(1e-9).margin(1e-15));
  }
  ScheduleConfig zero;
  zero.zero_terminal_snr = true;
  elbo_prior_terms(out, x0, schedule_make(zero));
  CHECK(out[0] == 0.0);
  CHECK(out[1] == 0.0);
}

TEST_CASE("each denoising term is the KL of the Bayes posterior to the model's step (quadrature)") {
  const NoiseSchedule s = schedule_make({});
  for (auto variance : {ReverseVariance::fixed_small, ReverseVariance::fixed_large}) {
    for (int t : {1, 2, 40, 300, 700, 999}) {
      for (auto [x0, x_t, x0_hat] :
           {std::tuple{0.4f, 0.35f, 0.41f}, std::tuple{-1.2f, 0.9f, -0.3f},
            std::tuple{1.5f, -2.0f, 1.5f}}) {
        const Grid q = bayes_posterior(s, t, x0, x_t);
        // The model's mean: the posterior mean with x0_hat in place of x_0 (Bayes again).
        const double mean_p = bayes_posterior(s, t, x0_hat, x_t).mean;
        const double var_p = variance == ReverseVariance::fixed_small ? q.variance : s.beta(t);
        std::vector<double> out;
        elbo_denoising_terms(out, Tensor2{{x0}}, Tensor2{{x_t}}, Tensor2{{x0_hat}}, Steps{t}, s,
                             variance);
        INFO("t = " << t << ", x0 = " << x0 << ", x_t = " << x_t << ", x0_hat = " << x0_hat);
        CHECK(out[0] == Approx(kl_by_quadrature(q, mean_p, var_p)).epsilon(1e-6).margin(1e-9));
      }
    }
  }
}

TEST_CASE("the continuous decoder is -log N(x0; mu~_0(x_t, x0_hat), beta~_1)") {
  const NoiseSchedule s = schedule_make({});
  const double var = s.posterior_variance(1);  // beta~ at index 1, for both variances
  const Tensor2 x0 = {{0.25f, -1.0f}}, x_t = {{0.26f, -0.98f}}, x0_hat = {{0.2501f, -0.995f}};
  for (auto variance : {ReverseVariance::fixed_small, ReverseVariance::fixed_large}) {
    std::vector<double> out;
    elbo_decoder_terms(out, x0, x_t, x0_hat, s, variance, 0);
    // At t = 0, mu~ = x0_hat exactly: coef1 = beta_0 / (1 - alpha_bar_0) = 1, coef2 = 0.
    double expected = 0;
    for (std::size_t d = 0; d < 2; ++d) {
      const double diff = double(x0(0, d)) - double(x0_hat(0, d));
      expected += 0.5 * std::log(2 * pi * var) + diff * diff / (2 * var);
    }
    CHECK(out[0] == Approx(expected).epsilon(1e-9));
  }
}

TEST_CASE("the discretized decoder is -log of the Gaussian mass of x0's bin (quadrature)") {
  const NoiseSchedule s = schedule_make({});
  const double sd = std::sqrt(s.posterior_variance(1));
  const int levels = 5;  // values -1, -0.5, 0, 0.5, 1; bins of half-width 0.25
  auto mass = [&](double lo, double hi, double mean) {  // Simpson's rule, 20000 intervals
    const int n = 20000;
    const double h = (hi - lo) / n;
    double sum = 0;
    for (int i = 0; i <= n; ++i) {
      const double y = lo + i * h, w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
      sum += w * std::exp(-0.5 * (y - mean) * (y - mean) / (sd * sd)) / (sd * std::sqrt(2 * pi));
    }
    return sum * h / 3;
  };
  // Means chosen so the bin edges sit within a few sd (where the mass is neither 0 nor 1).
  for (auto [x, mean] : {std::pair{0.0f, 0.24f}, std::pair{0.5f, 0.26f}, std::pair{-1.0f, -0.74f},
                         std::pair{1.0f, 0.7505f}}) {
    std::vector<double> out;
    elbo_decoder_terms(out, Tensor2{{x}}, Tensor2{{x}}, Tensor2{{mean}}, s,
                       ReverseVariance::fixed_small, levels);
    // Edge bins extend to infinity: integrate 12 sd past the inner edge instead.
    const double lo = x <= -1.0f ? double(mean) - 12 * sd : x - 0.25;
    const double hi = x >= 1.0f ? double(mean) + 12 * sd : x + 0.25;
    INFO("x = " << x << ", mean = " << mean);
    CHECK(out[0] == Approx(-std::log(mass(lo, hi, double(mean)))).epsilon(1e-6));
  }
}
