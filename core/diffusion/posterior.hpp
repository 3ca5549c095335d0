#pragma once
// The forward-process posterior q(x_{t-1} | x_t, x_0) = N(mu~_t, beta~_t I) (seed 004 eq. 11-12),
// the target that every reverse step is trained to match. Shapes: (B, D) rows, t: (B,).
// Its variance is the table schedule.posterior_variance (log: posterior_log_variance_clipped).
#include "base/tensor.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

// seed 004 eq. 11: mu~_t = coef1_t x_0 + coef2_t x_t, with
//   coef1_t = beta_t sqrt(alpha_bar_{t-1}) / (1 - alpha_bar_t),
//   coef2_t = (1 - alpha_bar_{t-1}) sqrt(alpha_t) / (1 - alpha_bar_t).
void posterior_mean(Tensor2& mean, const Tensor2& x0, const Tensor2& x_t, const Steps& t,
                    const NoiseSchedule& schedule);

// seed 004, "Substituting into optimal mean": the same mean written with the noise,
//   mu~_t = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_t).
// Undefined where alpha_t = 0 (the last step of a zero-terminal-SNR schedule): use the x0 form.
void posterior_mean_from_eps(Tensor2& mean, const Tensor2& x_t, const Tensor2& eps, const Steps& t,
                             const NoiseSchedule& schedule);

}  // namespace diffuse
