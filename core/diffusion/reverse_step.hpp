#pragma once
// The reverse step p(x_{t-1} | x_t) = N(mu_theta(x_t, t), sigma_t^2 I) (seed 002 section 6), whose
// mean is the posterior mean (seed 004 eq. 11) at the model's x_0 estimate. Its variance is fixed
// ("The original DDPM often fixes Sigma_t") to one of DDPM's two choices, read from the schedule's
// tables (never recomputed). Used by the DDPM sampler and the ELBO.
//   fixed_small: sigma_t^2 = beta~_t, the posterior variance (seed 004 eq. 12), the lower bound
//                on the reverse variance (exact for a point-mass data distribution);
//   fixed_large: sigma_t^2 = beta_t, the upper bound (exact for x_0 ~ N(0, I)).
// A model with a learned variance may instead give its own (learned_range, diffusers' name):
// log sigma^2 per element from its variance values, between those two (diffusion/
// learned_variance.hpp); the tables alone cannot give it.
#include <string>
#include <string_view>
#include <vector>

#include "base/enum_names.hpp"
#include "diffusion/parameterization.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

enum class ReverseVariance { fixed_small, fixed_large, learned_range };

// "fixed_small", "fixed_large"; other names throw Error listing the allowed ones.
// Names (base/enum_names.hpp).
inline const EnumNames<ReverseVariance> reverse_variances{
    "variance",
    {{ReverseVariance::fixed_small, "fixed_small"},
     {ReverseVariance::fixed_large, "fixed_large"},
     {ReverseVariance::learned_range, "learned_range"}}};

// sigma_t^2: posterior_variance(t) (0 at t = 0) or beta(t). Error for learned_range.
double reverse_variance(const NoiseSchedule& schedule, ReverseVariance variance, int t);

// log sigma_t^2 for the likelihood terms, finite at t = 0: posterior_log_variance_clipped(t)
// (log beta~_1 at t = 0) for fixed_small; log beta_t for fixed_large except at t = 0, where it is
// log beta~_1 too (improved-diffusion's convention, pinned in docs/reference-workload.md). Error for
// learned_range.
double reverse_log_variance(const NoiseSchedule& schedule, ReverseVariance variance, int t);

// Throws Error if a model predicting `prediction` has no x_0 estimate at step t: eps at a step with
// alpha_bar_t = 0 (the last step of a zero-terminal-SNR schedule), where
// x_0 = (x_t - sqrt(1 - alpha_bar) eps) / sqrt(alpha_bar) divides by zero.
void reverse_step_check_prediction(Prediction prediction, const NoiseSchedule& schedule, int t);

}  // namespace diffuse
