#include "diffusion/elbo_terms.hpp"

#include <cmath>

#include "base/check.hpp"
#include "diffusion/gaussian.hpp"

namespace diffuse {

void elbo_prior_terms(std::vector<double>& out, const Tensor2& x0, const NoiseSchedule& schedule) {
  const std::size_t B = x0.shape(0), D = x0.shape(1);
  const auto last = static_cast<std::size_t>(schedule.T - 1);
  const double mean_scale = schedule.sqrt_alpha_bar(last);
  // log(1 - alpha_bar) from the table sqrt(1 - alpha_bar), so no table is recomputed.
  const double log_var = 2.0 * std::log(schedule.sqrt_one_minus_alpha_bar(last));
  out.assign(B, 0.0);
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t d = 0; d < D; ++d) {
      out[b] += normal_kl(mean_scale * static_cast<double>(x0(b, d)), log_var, 0.0, 0.0);
    }
  }
}

void elbo_denoising_terms(std::vector<double>& out, const Tensor2& x0, const Tensor2& x_t,
                          const Tensor2& x0_hat, const Steps& t, const NoiseSchedule& schedule,
                          ReverseVariance variance) {
  const std::size_t B = x0.shape(0), D = x0.shape(1);
  out.assign(B, 0.0);
  for (std::size_t b = 0; b < B; ++b) {
    DIFFUSE_ASSERT(t(b) >= 1 && t(b) < schedule.T);
    const auto i = static_cast<std::size_t>(t(b));
    const double c0 = schedule.posterior_mean_coef1(i), ct = schedule.posterior_mean_coef2(i);
    const double log_var_q = schedule.posterior_log_variance_clipped(i);  // log beta~_t, t >= 1
    const double log_var_p = reverse_log_variance(schedule, variance, t(b));
    for (std::size_t d = 0; d < D; ++d) {
      const double shared = ct * static_cast<double>(x_t(b, d));
      const double mean_q = c0 * static_cast<double>(x0(b, d)) + shared;      // seed 004 eq. 11
      const double mean_p = c0 * static_cast<double>(x0_hat(b, d)) + shared;  // at x0_hat
      out[b] += normal_kl(mean_q, log_var_q, mean_p, log_var_p);
    }
  }
}

void elbo_decoder_terms(std::vector<double>& out, const Tensor2& x0, const Tensor2& x_t,
                        const Tensor2& x0_hat, const NoiseSchedule& schedule,
                        ReverseVariance variance, int levels) {
  const std::size_t B = x0.shape(0), D = x0.shape(1);
  const double c0 = schedule.posterior_mean_coef1(0), ct = schedule.posterior_mean_coef2(0);
  const double log_var = reverse_log_variance(schedule, variance, 0);
  out.assign(B, 0.0);
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t d = 0; d < D; ++d) {
      const double x = static_cast<double>(x0(b, d));
      const double mean = c0 * static_cast<double>(x0_hat(b, d)) +
                          ct * static_cast<double>(x_t(b, d));  // seed 004 eq. 11 at t = 0
      out[b] -= levels == 0 ? normal_log_density(x, mean, log_var)
                            : discretized_gaussian_log_likelihood(x, mean, 0.5 * log_var, levels);
    }
  }
}

}  // namespace diffuse
