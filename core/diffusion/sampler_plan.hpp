#pragma once
// Where a sampler evaluates the model, and the noise level of its state before and after each
// call: the list diffusers' scheduler of the same name makes in set_timesteps, with its default
// options (docs/samplers.md). One entry per model call, in call order.
//
//   ddpm, ddim: the K integer steps of diffusion/timestep_spacing.hpp (sampler_timesteps).
//   euler, euler_a, heun (EulerDiscrete, EulerAncestralDiscrete, HeunDiscrete):
//     t_k: linspace  np.linspace(0, T - 1, N) reversed, FRACTIONAL in general,
//          leading   k * (T // N) reversed,  trailing  round(np.arange(T, 0, -T / N)) - 1;
//     sigma_k = np.interp(t_k, [0..T-1], sigma_t) (diffusion/sigmas.hpp), then 0 appended.
//     --karras: sigma_k = karras_sigmas(last, first of those, N), t_k = sigma_to_t(sigma_k).
//     heun repeats each level after the first: sigmas s0, s1, s1, ..., s_{N-1}, s_{N-1}, 0 and
//     t0, t1, t1, ..., t_{N-1}, t_{N-1}, so N steps make 2N - 1 model calls.
//     init_noise_sigma: max sigma for linspace and trailing, sqrt(max sigma^2 + 1) for leading.
//   dpmpp_2m, dpmpp_2m_sde, unipc (DPMSolverMultistep, UniPCMultistep):
//     t_k: linspace  round(np.linspace(0, T - 1, N + 1)) reversed without its last (0),
//          leading   k * (T // (N + 1)) for k = N..1,  trailing  as above; integers;
//     sigma_k = sigma_{t_k}, then 0 appended. --karras: sigma_k = karras_sigmas(sigma_0,
//     sigma_{T-1}, N) over the whole table, t_k = round(sigma_to_t(sigma_k)) (DPM-Solver
//     truncates instead of rounding for the cosine schedule, as diffusers does).
//     init_noise_sigma 1.
//   flow models (SamplerConfig::flow; euler, heun): FlowMatchEuler/HeunDiscreteScheduler's levels
//     s_k (diffusion/flow.hpp) in place of sigmas, t_k = s_k T, the state x_s itself.
// Timesteps and sigmas are rounded to float32, as diffusers stores them.
//
// The sampler's state is x_t itself for ddpm, ddim, dpmpp_* and unipc, and x_t / sqrt(alpha_bar) =
// x_t sqrt(1 + sigma^2) ("sigma space", the EDM form) for euler, euler_a and heun; either way the
// network is given x_t = state / sqrt(1 + sigma^2) (diffusers' scale_model_input) and x_T is
// z * init_noise_sigma in the sampler's space.
#include <vector>

#include "diffusion/denoiser.hpp"
#include "diffusion/sampler_config.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

struct SamplerPlan {
  std::vector<double> timesteps;  // (calls,) the t the network is given at each call
  std::vector<double> sigmas;     // (calls + 1,) the state's level before each call; the last: after
  std::vector<double> alpha_bars; // (calls,) alpha_bar at each call: 1 / (1 + sigma_k^2), or the
                                  // schedule's table at t_k for ddpm and ddim
  double init_noise_sigma = 1.0;  // x_T = z * init_noise_sigma, in the sampler's space
  bool sigma_space = false;       // the state is x_t sqrt(1 + sigma^2) (euler, euler_a, heun)
  bool flow = false;              // a flow model's plan: sigmas are its levels s, the state x_s

  int calls() const { return static_cast<int>(timesteps.size()); }
  // Where call k evaluates the model.
  NoiseLevel level(int k) const;
};

// The plan of config's sampler for the schedule. Validates the config (Error). Throws Error when
// a multistep solver would see the same level twice in a row (too many steps for the spacing:
// rounded steps repeat, e.g. linspace with N = T).
SamplerPlan sampler_plan(const NoiseSchedule& schedule, const SamplerConfig& config);

}  // namespace diffuse
