#pragma once
// Improved DDPM's learned reverse variance (Nichol & Dhariwal 2021, "Improved denoising diffusion
// probabilistic models", section 3.1, eq. 15; diffusers' variance_type "learned_range"). The
// network outputs a second set of D values o beside its prediction (nn/network.hpp's doubled
// output), read as an interpolation between DDPM's two fixed variances in the log domain:
//   v = (o + 1) / 2,   log Sigma_t = v log beta_t + (1 - v) log beta~_t,
// with log beta~_t the clipped table (posterior_log_variance_clipped: log beta~_1 at t = 0, where
// beta~_0 = 0), as improved-diffusion's min_log. v is not clamped: o outside [-1, 1] extrapolates,
// as in the paper and diffusers.
//
// L_vlb (section 3.1, "L_hybrid = L_simple + lambda L_vlb"): the variational bound's term at t
// (seed 004 eq. 8 and 10), with the reverse step N(mu~_t(x_t, x0_hat), Sigma_t):
//   t >= 1: L_t = KL(q(x_{t-1} | x_t, x_0) || N(mu~_t(x_t, x0_hat), Sigma_t)),
//   t = 0:  L_0 = -log N(x_0; mu~_0(x_t, x0_hat), Sigma_0)   (or the discretized decoder's mass of
//           x_0's bin for data of `levels` levels, gaussian.hpp),
// in nats summed over the D dimensions. In training the mean enters through a stop-gradient (the
// paper: "we apply a stop-gradient to the mu_theta(x_t, t) output for the L_vlb term"), so L_vlb
// trains only o: its gradient is d L_t / d o = d L_t / d log Sigma * (log beta_t - log beta~_t) / 2.
#include <vector>

#include "base/tensor.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

// (B, D) log variances and their gradients, kept in float64: the terms are float64 throughout, and
// log Sigma in float32 would move them by 1e-6 nats (and a gradient near its zero by more).
using LogVariances = xt::xtensor<double, 2>;

// The two ends of the learned range at one step, in the log domain.
struct LogVarianceRange {
  double log_beta = 0.0;        // v = 1: beta_t (DDPM's fixed_large)
  double log_beta_tilde = 0.0;  // v = 0: beta~_t (fixed_small), clipped at t = 0
};

// At step t of the schedule: log beta_t and posterior_log_variance_clipped(t).
LogVarianceRange learned_variance_range(const NoiseSchedule& schedule, int t);

// The range of a DDPM step from t to prev (prev < t; -1 past the end) of a respaced chain, as
// diffusers' DDPMScheduler forms it: beta' = 1 - alpha_bar_t / alpha_bar_prev and
// beta~' = (1 - alpha_bar_prev) / (1 - alpha_bar_t) beta', floored at 1e-20 (with prev = t - 1,
// the schedule's beta_t and beta~_t up to rounding).
LogVarianceRange learned_variance_range_between(const NoiseSchedule& schedule, int t, int prev);

// log Sigma = v log_beta + (1 - v) log_beta_tilde, v = (o + 1) / 2 (eq. 15).
double learned_log_variance(double o, const LogVarianceRange& range);

// out (B, D): log Sigma of every element of the variance values o (B, D), row b at step t(b).
void learned_log_variances(LogVariances& out, const Tensor2& o, const Steps& t,
                           const NoiseSchedule& schedule);

// out (B,): L_t of each row (nats, summed over D) at its step t(b) in 0..T-1, for the truth x0,
// the noisy x_t and the model's x0_hat and log_variance (B, D) (learned_log_variances).
// grad_log_variance (B, D), when not null, is resized and set to d L_t(b) / d log_variance(b, d)
// with the mean held fixed. levels: 0 for continuous data, >= 2 for the discretized decoder.
void vlb_terms(std::vector<double>& out, LogVariances* grad_log_variance, const Tensor2& x0,
               const Tensor2& x_t, const Tensor2& x0_hat, const LogVariances& log_variance,
               const Steps& t, const NoiseSchedule& schedule, int levels);

}  // namespace diffuse
