#include "diffusion/learned_variance.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"
#include "diffusion/gaussian.hpp"

namespace diffuse {

LogVarianceRange learned_variance_range(const NoiseSchedule& schedule, int t) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T);
  const auto i = static_cast<std::size_t>(t);
  return {std::log(schedule.beta(i)), schedule.posterior_log_variance_clipped(i)};
}

LogVarianceRange learned_variance_range_between(const NoiseSchedule& schedule, int t, int prev) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T && prev >= -1 && prev < t);
  const double ab = schedule.alpha_bar(static_cast<std::size_t>(t));
  const double ab_prev = prev >= 0 ? schedule.alpha_bar(static_cast<std::size_t>(prev)) : 1.0;
  const double beta = 1.0 - ab / ab_prev;
  const double beta_tilde = std::max(1e-20, (1.0 - ab_prev) / (1.0 - ab) * beta);
  return {std::log(beta), std::log(beta_tilde)};
}

double learned_log_variance(double o, const LogVarianceRange& range) {
  const double v = 0.5 * (o + 1.0);
  return v * range.log_beta + (1.0 - v) * range.log_beta_tilde;
}

void learned_log_variances(LogVariances& out, const Tensor2& o, const Steps& t,
                           const NoiseSchedule& schedule) {
  const std::size_t B = o.shape(0), D = o.shape(1);
  out.resize({B, D});
  for (std::size_t b = 0; b < B; ++b) {
    const LogVarianceRange range = learned_variance_range(schedule, t(b));
    for (std::size_t d = 0; d < D; ++d) {
      out(b, d) = learned_log_variance(static_cast<double>(o(b, d)), range);
    }
  }
}

void vlb_terms(std::vector<double>& out, LogVariances* grad_log_variance, const Tensor2& x0,
               const Tensor2& x_t, const Tensor2& x0_hat, const LogVariances& log_variance,
               const Steps& t, const NoiseSchedule& schedule, int levels) {
  const std::size_t B = x0.shape(0), D = x0.shape(1);
  out.assign(B, 0.0);
  if (grad_log_variance != nullptr) grad_log_variance->resize({B, D});
  for (std::size_t b = 0; b < B; ++b) {
    DIFFUSE_ASSERT(t(b) >= 0 && t(b) < schedule.T);
    const auto i = static_cast<std::size_t>(t(b));
    const double c0 = schedule.posterior_mean_coef1(i), ct = schedule.posterior_mean_coef2(i);
    const double log_var_q = schedule.posterior_log_variance_clipped(i);
    for (std::size_t d = 0; d < D; ++d) {
      const double x = static_cast<double>(x0(b, d));
      const double shared = ct * static_cast<double>(x_t(b, d));
      const double mean_p = c0 * static_cast<double>(x0_hat(b, d)) + shared;  // seed 004 eq. 11
      const double log_var_p = log_variance(b, d);
      double term = 0.0, slope = 0.0;
      if (t(b) >= 1) {  // seed 004 eq. 10
        const double mean_q = c0 * x + shared;
        term = normal_kl(mean_q, log_var_q, mean_p, log_var_p);
        slope = normal_kl_dlog_var2(mean_q, log_var_q, mean_p, log_var_p);
      } else if (levels == 0) {  // seed 004 eq. 8, continuous data
        term = -normal_log_density(x, mean_p, log_var_p);
        slope = -normal_log_density_dlog_var(x, mean_p, log_var_p);
      } else {  // eq. 8 on a grid: log_scale = log_var / 2
        term = -discretized_gaussian_log_likelihood(x, mean_p, 0.5 * log_var_p, levels);
        slope = -0.5 * discretized_gaussian_log_likelihood_dlog_scale(x, mean_p, 0.5 * log_var_p,
                                                                       levels);
      }
      out[b] += term;
      if (grad_log_variance != nullptr) (*grad_log_variance)(b, d) = slope;
    }
  }
}

}  // namespace diffuse
