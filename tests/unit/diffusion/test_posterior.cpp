// The posterior q(x_{t-1} | x_t, x_0) (seed 004 eq. 11-12) against Bayes' rule computed two
// independent ways: numerically on a grid (seed 004 Part C: q(x_t|x_{t-1}) q(x_{t-1}|x_0),
// normalized), and by conditioning the joint Gaussian of (x_{t-1}, x_t) given x_0.
#include <catch2/catch.hpp>

#include <cmath>

#include "diffusion/forward_process.hpp"
#include "diffusion/posterior.hpp"
#include "diffusion/schedule.hpp"

using namespace diffuse;

namespace {

struct Moments {
  double mean, variance;
};

// Bayes on a grid: p(y) ∝ N(x_t; sqrt(alpha_t) y, beta_t) N(y; sqrt(ab_prev) x0, 1 - ab_prev).
Moments posterior_by_quadrature(const NoiseSchedule& s, int t, double x0, double x_t) {
  const double prior_mean = std::sqrt(s.alpha_bar_prev(t)) * x0;
  const double prior_var = 1.0 - s.alpha_bar_prev(t);
  const double lik_var = s.beta(t);
  // The posterior lies between the prior's mean and x_t / sqrt(alpha_t) (the likelihood's peak),
  // and is no narrower than the narrower of the two divided by sqrt(2): cover both peaks with
  // 12 standard deviations of margin, at a step of 1/40 of the narrowest width.
  const double lik_peak = x_t / std::sqrt(s.alpha(t));
  const double prior_sd = std::sqrt(prior_var), lik_sd = std::sqrt(lik_var / s.alpha(t));
  const double widest = std::max(prior_sd, lik_sd), narrowest = std::min(prior_sd, lik_sd);
  const double lo = std::min(prior_mean, lik_peak) - 12 * widest;
  const double hi = std::max(prior_mean, lik_peak) + 12 * widest;
  const int n = static_cast<int>(std::ceil((hi - lo) / (narrowest / std::sqrt(2.0) / 40)));
  const double h = (hi - lo) / n;
  // Log-densities shifted by their maximum so that nothing underflows.
  auto log_joint = [&](double y) {
    const double a = x_t - std::sqrt(s.alpha(t)) * y, b = y - prior_mean;
    return -0.5 * a * a / lik_var - 0.5 * b * b / prior_var;
  };
  double peak = -1e300;
  for (int i = 0; i <= n; ++i) peak = std::max(peak, log_joint(lo + i * h));
  double z = 0, m1 = 0, m2 = 0;
  for (int i = 0; i <= n; ++i) {
    const double y = lo + i * h;
    const double w = (i == 0 || i == n ? 0.5 : 1.0) * std::exp(log_joint(y) - peak);
    z += w;
    m1 += w * y;
    m2 += w * y * y;
  }
  const double mean = m1 / z;
  return {mean, m2 / z - mean * mean};
}

// Gaussian conditioning: (x_{t-1}, x_t) | x_0 is jointly Gaussian with
// Var(x_{t-1}) = 1 - ab_prev, Cov = sqrt(alpha_t)(1 - ab_prev), Var(x_t) = alpha_t(1 - ab_prev) + beta_t.
Moments posterior_by_conditioning(const NoiseSchedule& s, int t, double x0, double x_t) {
  const double v1 = 1.0 - s.alpha_bar_prev(t);
  const double cov = std::sqrt(s.alpha(t)) * v1;
  const double v2 = s.alpha(t) * v1 + s.beta(t);
  const double m1 = std::sqrt(s.alpha_bar_prev(t)) * x0;
  const double m2 = std::sqrt(s.alpha(t)) * m1;
  return {m1 + cov / v2 * (x_t - m2), v1 - cov * cov / v2};
}

}  // namespace

TEST_CASE("posterior mean and variance equal Bayes' rule, by quadrature and by conditioning") {
  for (auto kind : {ScheduleKind::linear, ScheduleKind::cosine}) {
    ScheduleConfig config;
    config.kind = kind;
    const NoiseSchedule s = schedule_make(config);
    for (int t : {1, 2, 10, 250, 500, 998, 999}) {
      for (double x0 : {-1.0, 0.25, 0.9}) {
        for (double x_t : {-2.0, 0.1, 1.5}) {
          const Moments grid = posterior_by_quadrature(s, t, x0, x_t);
          const Moments gauss = posterior_by_conditioning(s, t, x0, x_t);
          Tensor2 mean;
          Tensor2 x0_row = {{float(x0)}}, x_t_row = {{float(x_t)}};
          Steps steps = {t};
          posterior_mean(mean, x0_row, x_t_row, steps, s);
          // Float32 rounding: two coefficients, two products and a sum, each within 2^-24.
          const double float_tol = 4 * std::ldexp(std::abs(s.posterior_mean_coef1(t) * x0) +
                                                  std::abs(s.posterior_mean_coef2(t) * x_t), -24);
          CHECK(mean(0, 0) == Approx(gauss.mean).margin(float_tol + 1e-12));
          // The trapezoid rule on a smooth, rapidly decaying integrand over 200000 cells is exact
          // to far below 1e-9 relative; allow that.
          CHECK(grid.mean == Approx(gauss.mean).epsilon(1e-9).margin(1e-9));
          CHECK(s.posterior_variance(t) == Approx(gauss.variance).epsilon(1e-9));
          CHECK(s.posterior_variance(t) == Approx(grid.variance).epsilon(1e-6));
        }
      }
    }
  }
}

TEST_CASE("the eps-form posterior mean equals the x0-form mean") {
  const NoiseSchedule s = schedule_make(ScheduleConfig{});
  const Tensor2 x0 = {{0.5f, -1.0f}, {0.0f, 0.75f}, {1.0f, 1.0f}, {-0.3f, 0.2f}};
  const Tensor2 eps = {{0.1f, 1.2f}, {-0.7f, 0.4f}, {2.0f, -1.5f}, {0.0f, 0.3f}};
  const Steps t = {1, 40, 500, 999};
  Tensor2 x_t, mean_x0, mean_eps;
  q_sample(x_t, x0, eps, t, s);
  posterior_mean(mean_x0, x0, x_t, t, s);
  posterior_mean_from_eps(mean_eps, x_t, eps, t, s);
  for (std::size_t b = 0; b < 4; ++b) {
    // The eps form divides by sqrt(alpha_t) and sqrt(1 - alpha_bar_t): a few float32 roundings
    // of quantities of size |x_t| + |eps| * beta / sqrt(1 - ab) relative to 2^-24.
    for (std::size_t d = 0; d < 2; ++d) {
      const double scale = std::abs(x_t(b, d)) + std::abs(eps(b, d)) + std::abs(x0(b, d));
      CHECK(mean_eps(b, d) == Approx(mean_x0(b, d)).margin(16 * std::ldexp(scale, -24)));
    }
  }
}
