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
  // learned_range: the model's own sigma, per element, is applied by the sampler to the noise it
  // passes (diffusion/sampler.hpp), so the step's coefficient on that noise is 1.
  const bool learned = variance == ReverseVariance::learned_range;
  if (prev == t - 1) {
    c.x0 = s.posterior_mean_coef1(i);
    c.xt = s.posterior_mean_coef2(i);
    c.noise_std = learned ? 1.0 : std::sqrt(reverse_variance(s, variance, t));
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
  c.noise_std = learned ? 1.0 : std::sqrt(var);
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

TimestepSpacing sampler_default_spacing(SamplerKind kind) {
  return kind == SamplerKind::ddpm || kind == SamplerKind::ddim ? TimestepSpacing::trailing
                                                                : TimestepSpacing::linspace;
}

std::string sampler_display_name(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::ddpm: return "DDPM";
    case SamplerKind::ddim: return "DDIM";
    case SamplerKind::euler: return "Euler";
    case SamplerKind::euler_a: return "Euler ancestral";
    case SamplerKind::heun: return "Heun";
    case SamplerKind::dpmpp_2m: return "DPM-Solver++ 2M";
    case SamplerKind::dpmpp_2m_sde: return "DPM-Solver++ 2M SDE";
    case SamplerKind::unipc: return "UniPC";
  }
  return sampler_kinds.name(kind);  // throws on an unknown kind
}

bool sampler_offers_karras(SamplerKind kind) {
  return kind == SamplerKind::euler || kind == SamplerKind::heun || kind == SamplerKind::dpmpp_2m ||
         kind == SamplerKind::dpmpp_2m_sde || kind == SamplerKind::unipc;
}

bool sampler_is_stochastic(SamplerKind kind, double eta) {
  return kind == SamplerKind::ddpm || kind == SamplerKind::euler_a ||
         kind == SamplerKind::dpmpp_2m_sde || (kind == SamplerKind::ddim && eta > 0.0);
}

int sampler_steps(const SamplerConfig& config, int T) {
  if (config.steps != 0) return config.steps;
  return config.kind == SamplerKind::ddpm ? T : ddim_default_steps;
}

TimestepSpacing sampler_spacing(const SamplerConfig& config) {
  return config.spacing.value_or(sampler_default_spacing(config.kind));
}

void sampler_config_validate(const SamplerConfig& c, int T) {
  sampler_kinds.name(c.kind);  // throws on an unknown kind
  reverse_variances.name(c.variance);
  timestep_spacings.name(sampler_spacing(c));
  if (c.flow) {
    if (c.kind != SamplerKind::euler && c.kind != SamplerKind::heun) {
      fail("sampler ", sampler_kinds.name(c.kind), " is for diffusion models; a flow-matching ",
           "model samples with euler or heun (FlowMatchEuler/HeunDiscreteScheduler)");
    }
    if (c.karras) fail("karras sigmas: the flow samplers use their own shifted levels");
    if (c.spacing) fail("timestep spacing: the flow samplers use their own levels, not a spacing");
    if (c.clip_sample) fail("clip_sample applies to diffusion samplers");
  }
  if (c.karras && !sampler_offers_karras(c.kind)) {
    fail("karras sigmas are not offered by ", sampler_kinds.name(c.kind),
         ": allowed with euler, heun, dpmpp_2m, dpmpp_2m_sde, unipc (as in diffusers)");
  }
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
  DIFFUSE_ASSERT(config.kind == SamplerKind::ddpm || config.kind == SamplerKind::ddim);
  return timestep_spacing_make(sampler_spacing(config), T, sampler_steps(config, T));
}

SamplerStepCoefficients sampler_step_coefficients(const NoiseSchedule& schedule,
                                                  const SamplerConfig& config, int t, int prev) {
  DIFFUSE_ASSERT(t >= 0 && t < schedule.T && prev >= -1 && prev < t);
  DIFFUSE_ASSERT(config.kind == SamplerKind::ddpm || config.kind == SamplerKind::ddim);
  SamplerStepCoefficients c = config.kind == SamplerKind::ddpm
                                  ? ddpm_coefficients(schedule, config.variance, t, prev)
                                  : ddim_coefficients(schedule, config.eta, t, prev);
  if (prev < 0) c.noise_std = 0.0;  // no noise on the last step
  return c;
}

}  // namespace diffuse
