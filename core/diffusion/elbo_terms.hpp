#pragma once
// The per-example terms of the negative ELBO (seed 004 eq. 8-10), in nats, summed over the D
// dimensions of each row (diagonal Gaussians factor). With t the diffusers index (seed step t + 1):
//   L_T = KL(q(x_{T-1} | x_0) || N(0, I))                                  (eq. 9, prior matching)
//   L_t = KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t)), t = 1..T-1  (eq. 10, denoising)
//   L_0 = -log p_theta(x_0 | x_t at t = 0)                                 (eq. 8, reconstruction)
// q(x_{t-1} | x_t, x_0) = N(mu~_t(x_t, x_0), beta~_t I) (eq. 11-12); the model's step is
// N(mu~_t(x_t, x0_hat), sigma_t^2 I) with x0_hat its x_0 estimate and sigma_t^2 fixed
// (diffusion/reverse_step.hpp). Everything is float64; rows are the project's float (B, D).
#include <vector>

#include "base/tensor.hpp"
#include "diffusion/reverse_step.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

// out (B,): L_T of each row x0 (B, D): per dimension
// normal_kl(sqrt(alpha_bar_{T-1}) x0, log(1 - alpha_bar_{T-1}), 0, 0); 0 with zero terminal SNR.
void elbo_prior_terms(std::vector<double>& out, const Tensor2& x0, const NoiseSchedule& schedule);

// out (B,): L_t of each row at its step t(b) >= 1, for x0, x_t, x0_hat (B, D): per dimension
// normal_kl(mu~(x_t, x0), log beta~_t, mu~(x_t, x0_hat), log sigma_t^2).
void elbo_denoising_terms(std::vector<double>& out, const Tensor2& x0, const Tensor2& x_t,
                          const Tensor2& x0_hat, const Steps& t, const NoiseSchedule& schedule,
                          ReverseVariance variance);

// out (B,): L_0 of each row, x_t drawn at t = 0 and x0_hat the model's estimate there; the
// decoder is N(mu~_0(x_t, x0_hat), sigma_0^2) with log sigma_0^2 = reverse_log_variance(., 0)
// (log beta~_1 for both variances): -log of its density at x0 when levels = 0 (continuous data),
// or of the mass of x0's bin on a grid of `levels` values in [-1, 1] (levels >= 2; gaussian.hpp's
// discretized decoder).
void elbo_decoder_terms(std::vector<double>& out, const Tensor2& x0, const Tensor2& x_t,
                        const Tensor2& x0_hat, const NoiseSchedule& schedule,
                        ReverseVariance variance, int levels);

}  // namespace diffuse
