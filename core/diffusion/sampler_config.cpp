#include "diffusion/sampler_config.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"
#include "base/error.hpp"

namespace diffuse {
namespace {

// seed 004 eq. 11-12 from the tables (prev = t - 1), or for the respaced chain (see header).
SamplerStepCoefficients ddpm_coefficients(const NoiseSchedule& s, ReverseVariance variance, int t,
                                          int prev) {
  const auto i = static_cast<std::size_t>(t);
  SamplerStepCoefficients c;
  if (prev == t - 1) {
    c.x0 = s.posterior_mean_coef1(i);
    c.xt = s.posterior_mean_coef2(i);
    c.noise_std = std::sqrt(reverse_variance(s, variance, t));
    return c;
  }
  const double ab = s.alpha_bar(i);
  const double ab_prev = prev >= 0 ? s.alpha_bar(static_cast<std::size_t>(prev)) : 1.0;
  const double sqrt_ab_prev = prev >= 0 ? s.sqrt_alpha_bar(static_cast<std::size_t>(prev)) : 1.0;
  const double beta = 1.0 - ab / ab_prev;  // beta'_t of the respaced chain
  const double one_minus_ab = 1.0 - ab;
  c.x0 = beta * sqrt_ab_prev / one_minus_ab;
  c.xt = (1.0 - ab_prev) * std::sqrt(1.0 - beta) / one_minus_ab;
  const double var =
      variance == ReverseVariance::fixed_small ? (1.0 - ab_prev) / one_minus_ab * beta : beta;
  c.noise_std = std::sqrt(var);
  return c;
}

// Song et al. 2021 eq. 12 with eps_hat written through x0_hat (see header).
SamplerStepCoefficients ddim_coefficients(const NoiseSchedule& s, double eta, int t, int prev) {
  const auto i = static_cast<std::size_t>(t);
  const double ab = s.alpha_bar(i);
  const double sqrt_ab = s.sqrt_alpha_bar(i), sqrt_one_minus_ab = s.sqrt_one_minus_alpha_bar(i);
  const double ab_prev = prev >= 0 ? s.alpha_bar(static_cast<std::size_t>(prev)) : 1.0;
  const double sqrt_ab_prev = prev >= 0 ? s.sqrt_alpha_bar(static_cast<std::size_t>(prev)) : 1.0;
  const double sigma = eta * std::sqrt((1.0 - ab_prev) / (1.0 - ab)) *
                       std::sqrt(std::max(0.0, 1.0 - ab / ab_prev));
  const double direction = std::sqrt(std::max(0.0, 1.0 - ab_prev - sigma * sigma));
  SamplerStepCoefficients c;
  c.x0 = sqrt_ab_prev - direction * sqrt_ab / sqrt_one_minus_ab;
  c.xt = direction / sqrt_one_minus_ab;
  c.noise_std = sigma;
  return c;
}

}  // namespace

int sampler_steps(const SamplerConfig& config, int T) {
  if (config.steps != 0) return config.steps;
  return config.kind == SamplerKind::ddim ? ddim_default_steps : T;
}

void sampler_config_validate(const SamplerConfig& c, int T) {
  sampler_kinds.name(c.kind);  // throws on an unknown kind
  reverse_variances.name(c.variance);
  timestep_spacings.name(c.spacing);
  const int K = sampler_steps(c, T);
  if (K < 1 || K > T) {
    fail("steps = ", K, c.steps == 0 ? " (the default)" : "", " is invalid for ",
         sampler_kinds.name(c.kind), ": must be in [1, T] = [1, ", T, "]");
  }
  if (!eta_range.contains(c.eta)) fail("eta = ", c.eta, " is invalid: must be in ", eta_range.text());
  if (c.clip_sample && !(std::isfinite(c.clip_range) && c.clip_range > 0.0)) {
    fail("clip_range = ", c.clip_range, " is invalid: must be positive and finite");
  }
  if (c.record_every < 0) {
    fail("record_every = ", c.record_every, " is invalid: must be >= 0 (0 records no trajectory)");
  }
}

std::vector<int> sampler_timesteps(const SamplerConfig& config, int T) {
  sampler_config_validate(config, T);
  return timestep_spacing_make(config.spacing, T, sampler_steps(config, T));
}

SamplerStepCoefficients sampler_step_coefficients(const NoiseSchedule& schedule,
                                                  const SamplerConfig& config, int t, int prev) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T && prev >= -1 && prev < t);
  SamplerStepCoefficients c = config.kind == SamplerKind::ddpm
                                  ? ddpm_coefficients(schedule, config.variance, t, prev)
                                  : ddim_coefficients(schedule, config.eta, t, prev);
  if (prev < 0) c.noise_std = 0.0;  // no noise on the last step
  return c;
}

}  // namespace diffuse
