#pragma once
// What a sampler does, validated at the edges (CLI flags, page settings), and the coefficients of
// each of its steps. Defaults are docs/reference-workload.md's "Sampling defaults".
//
// Every step goes from x_t (step t) to x_prev, where prev is the NEXT ENTRY of the actual list of
// timesteps (-1, meaning x_0 with alpha_bar_prev = 1, after the last entry), and is written as
//   x_prev = c_x0 * x0_hat + c_xt * x_t + noise_std * z,      z ~ N(0, I)
// with x0_hat the model's output converted to an x_0 estimate (so eps, x0 and v models and
// zero-terminal-SNR schedules all work; the eps form of the mean divides by zero there).
//
// DDPM (ancestral; seed 002 section 8): the posterior mean at x0_hat (seed 004 eq. 11),
//   c_x0 = posterior_mean_coef1_t, c_xt = posterior_mean_coef2_t, noise_std^2 = beta~_t or beta_t,
//   read from the schedule's tables when prev = t - 1. With fewer steps than T ("respacing",
//   Nichol & Dhariwal 2021 section 4) the chain over the visited steps has its own betas,
//   beta'_t = 1 - alpha_bar_t / alpha_bar_prev, and the same formulas hold with beta'_t in place of
//   beta_t and alpha_bar_prev in place of alpha_bar_{t-1}:
//     c_x0 = beta'_t sqrt(alpha_bar_prev) / (1 - alpha_bar_t),
//     c_xt = (1 - alpha_bar_prev) sqrt(1 - beta'_t) / (1 - alpha_bar_t),
//     noise_std^2 = (1 - alpha_bar_prev) / (1 - alpha_bar_t) beta'_t (fixed_small) or beta'_t.
// DDIM (Song et al. 2021, eq. 12), with ab = alpha_bar_t, ab_prev = alpha_bar_prev and
// eps_hat = (x_t - sqrt(ab) x0_hat) / sqrt(1 - ab):
//   x_prev = sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - sigma^2) eps_hat + sigma z,
//   sigma = eta sqrt((1 - ab_prev) / (1 - ab)) sqrt(1 - ab / ab_prev).
//   With eta = 1 and all T steps sigma^2 = beta~_t and the step is DDPM fixed_small's.
// No noise is added on the last step (prev = -1) by either sampler.
//
// The other samplers are diffusers' schedulers of the same name with their default options; their
// lists of model calls are in diffusion/sampler_plan.hpp and their update rules in
// diffusion/solvers.hpp:
//   euler        EulerDiscreteScheduler                 (first order, deterministic)
//   euler_a      EulerAncestralDiscreteScheduler        (first order, ancestral noise)
//   heun         HeunDiscreteScheduler                  (second order, 2N - 1 model calls)
//   dpmpp_2m     DPMSolverMultistepScheduler, dpmsolver++, order 2, midpoint, lower_order_final
//   dpmpp_2m_sde the same with algorithm_type sde-dpmsolver++
//   unipc        UniPCMultistepScheduler, bh2, order 2
// --karras (use_karras_sigmas) is offered where diffusers offers it: euler, heun, dpmpp_2m,
// dpmpp_2m_sde, unipc.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/enum_names.hpp"
#include "base/ranges.hpp"
#include "diffusion/reverse_step.hpp"
#include "diffusion/schedule.hpp"
#include "diffusion/timestep_spacing.hpp"

namespace diffuse {

enum class SamplerKind { ddpm, ddim, euler, euler_a, heun, dpmpp_2m, dpmpp_2m_sde, unipc };

// DDIM's eta: 0 deterministic, 1 as DDPM.
inline const NumberRange eta_range{0, 1};

// "ddpm", "ddim", "euler", ...; other names throw Error listing the allowed ones.
// Names (base/enum_names.hpp).
inline const EnumNames<SamplerKind> sampler_kinds{"sampler",
                                                  {{SamplerKind::ddpm, "ddpm"},
                                                   {SamplerKind::ddim, "ddim"},
                                                   {SamplerKind::euler, "euler"},
                                                   {SamplerKind::euler_a, "euler_a"},
                                                   {SamplerKind::heun, "heun"},
                                                   {SamplerKind::dpmpp_2m, "dpmpp_2m"},
                                                   {SamplerKind::dpmpp_2m_sde, "dpmpp_2m_sde"},
                                                   {SamplerKind::unipc, "unipc"}}};

// The default number of steps of every sampler but DDPM (which takes all T by default).
constexpr int ddim_default_steps = 50;

// The timestep spacing a sampler uses unless told otherwise: trailing for ddpm and ddim (this
// project's choice, Lin et al. 2024), diffusers' default linspace for the others.
TimestepSpacing sampler_default_spacing(SamplerKind kind);
// "DDPM", "DDIM", "Euler", "Euler ancestral", "Heun", "DPM-Solver++ 2M", "DPM-Solver++ 2M SDE",
// "UniPC": for titles and captions.
std::string sampler_display_name(SamplerKind kind);
// Whether diffusers' scheduler of that name offers use_karras_sigmas.
bool sampler_offers_karras(SamplerKind kind);
// Whether a run draws noise after x_T: ddpm, euler_a, dpmpp_2m_sde, and ddim with eta > 0.
bool sampler_is_stochastic(SamplerKind kind, double eta);

struct SamplerConfig {
  SamplerKind kind = SamplerKind::ddpm;
  int steps = 0;  // K in [1, T]; 0 means the sampler's default: all T for DDPM, 50 for the others
                  // (Heun: K steps are 2K - 1 model calls)
  std::optional<TimestepSpacing> spacing;  // which K steps; none: sampler_default_spacing (any
                                           // spacing with K = T gives T-1, ..., 0 for ddpm/ddim)
  bool karras = false;                     // Karras sigmas, where sampler_offers_karras
  bool flow = false;         // a flow-matching model (diffusion/flow.hpp): euler or heun only,
  double flow_shift = 1.0;   // its levels shifted as it was trained
  ReverseVariance variance = ReverseVariance::fixed_small;  // DDPM only; learned_range: the
      // model's own (a learned variance, diffusion/learned_variance.hpp), as diffusers'
      // DDPMScheduler with variance_type learned_range
  double eta = 0.0;                                         // DDIM only, in [0, 1]
  bool clip_sample = false;  // clip x0_hat to [-clip_range, clip_range] (off for 2D data)
  double clip_range = 1.0;
  int record_every = 0;  // trajectory frame every this many steps; 0 records none
};

// K after applying the default (steps = 0).
int sampler_steps(const SamplerConfig& config, int T);
// The spacing after applying the sampler's default.
TimestepSpacing sampler_spacing(const SamplerConfig& config);

// Throws Error naming the first invalid field, its value and what is allowed.
void sampler_config_validate(const SamplerConfig& config, int T);

// ddpm and ddim: the K timesteps the sampler visits, descending. Validates. (Every sampler's list
// of model calls is sampler_plan, diffusion/sampler_plan.hpp.)
std::vector<int> sampler_timesteps(const SamplerConfig& config, int T);

struct SamplerStepCoefficients {
  double x0 = 0.0;         // on x0_hat
  double xt = 0.0;         // on x_t
  double noise_std = 0.0;  // on z
};

// The step from t to prev (the next list entry, or -1 for x_0), for ddpm or ddim.
SamplerStepCoefficients sampler_step_coefficients(const NoiseSchedule& schedule,
                                                  const SamplerConfig& config, int t, int prev);

}  // namespace diffuse
