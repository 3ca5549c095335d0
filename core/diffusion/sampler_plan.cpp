#include "diffusion/sampler_plan.hpp"

#include <algorithm>
#include <cmath>

#include "base/check.hpp"
#include "base/error.hpp"
#include "diffusion/flow.hpp"
#include "diffusion/sigmas.hpp"
#include "diffusion/timestep_spacing.hpp"

namespace diffuse {
namespace {

double to_float32(double value) {
  return static_cast<double>(static_cast<float>(value));
}

// np.arange(T, 0, -T / N) rounded, minus 1: the trailing spacing's N values, descending.
std::vector<double> trailing_steps(int T, int N) {
  std::vector<double> steps;
  for (int t : timestep_spacing_make(TimestepSpacing::trailing, T, N)) steps.push_back(t);
  return steps;
}

// The Euler family's N steps, descending (scheduling_euler_discrete.py set_timesteps), as float32.
std::vector<double> euler_steps(TimestepSpacing spacing, int T, int N) {
  std::vector<double> steps;
  switch (spacing) {
    case TimestepSpacing::linspace: {
      const std::vector<double> values = linspace_from_zero(T - 1, N);
      steps.assign(values.rbegin(), values.rend());
      break;
    }
    case TimestepSpacing::leading:
      for (int k = N - 1; k >= 0; --k) steps.push_back(static_cast<double>(k) * (T / N));
      break;
    case TimestepSpacing::trailing:
      steps = trailing_steps(T, N);
      break;
  }
  for (double& t : steps) t = to_float32(t);
  return steps;
}

// The multistep solvers' N integer steps, descending (scheduling_dpmsolver_multistep.py and
// scheduling_unipc_multistep.py set_timesteps): N + 1 points of which the last (0) is dropped.
std::vector<double> multistep_steps(TimestepSpacing spacing, int T, int N) {
  std::vector<double> steps;
  switch (spacing) {
    case TimestepSpacing::linspace: {
      const std::vector<double> values = linspace_from_zero(T - 1, N + 1);
      for (int i = N; i >= 1; --i) steps.push_back(round_half_even(values[static_cast<std::size_t>(i)]));
      break;
    }
    case TimestepSpacing::leading: {
      const int stride = T / (N + 1);
      for (int k = N; k >= 1; --k) steps.push_back(static_cast<double>(k) * stride);
      break;
    }
    case TimestepSpacing::trailing:
      steps = trailing_steps(T, N);
      break;
  }
  return steps;
}

std::vector<double> log_of(const std::vector<double>& values) {
  std::vector<double> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(), [](double v) { return std::log(v); });
  return out;
}

void plan_euler_family(SamplerPlan& plan, const NoiseSchedule& schedule, const SamplerConfig& config,
                       TimestepSpacing spacing, int N) {
  const std::vector<double> table = schedule_sigmas(schedule);
  std::vector<double> steps = euler_steps(spacing, schedule.T, N);
  std::vector<double> sigmas(steps.size());
  for (std::size_t k = 0; k < steps.size(); ++k) sigmas[k] = sigma_interpolate(table, steps[k]);
  if (config.karras) {
    sigmas = karras_sigmas(sigmas.back(), sigmas.front(), N);
    const std::vector<double> log_table = log_of(table);
    for (std::size_t k = 0; k < steps.size(); ++k) steps[k] = to_float32(sigma_to_t(sigmas[k], log_table));
  }
  sigmas.push_back(0.0);
  for (double& s : sigmas) s = to_float32(s);
  const double max_sigma = *std::max_element(sigmas.begin(), sigmas.end());
  plan.init_noise_sigma = spacing == TimestepSpacing::leading ? std::sqrt(max_sigma * max_sigma + 1.0)
                                                              : max_sigma;
  plan.sigma_space = true;
  if (config.kind == SamplerKind::heun) {
    // s0, s1, s1, ..., s_{N-1}, s_{N-1}, 0 and t0, t1, t1, ..., t_{N-1}, t_{N-1}.
    std::vector<double> heun_steps{steps.front()}, heun_sigmas{sigmas.front()};
    for (std::size_t k = 1; k < steps.size(); ++k) {
      heun_steps.insert(heun_steps.end(), 2, steps[k]);
      heun_sigmas.insert(heun_sigmas.end(), 2, sigmas[k]);
    }
    heun_sigmas.push_back(0.0);
    steps = std::move(heun_steps);
    sigmas = std::move(heun_sigmas);
  }
  plan.timesteps = std::move(steps);
  plan.sigmas = std::move(sigmas);
}

void plan_multistep(SamplerPlan& plan, const NoiseSchedule& schedule, const SamplerConfig& config,
                    TimestepSpacing spacing, int N) {
  const std::vector<double> table = schedule_sigmas(schedule);
  std::vector<double> steps = multistep_steps(spacing, schedule.T, N);
  std::vector<double> sigmas(steps.size());
  if (config.karras) {
    sigmas = karras_sigmas(table.front(), table.back(), N);
    const std::vector<double> log_table = log_of(table);
    // DPM-Solver keeps fractional steps for the cosine schedule and then casts them to int64.
    const bool truncate = config.kind != SamplerKind::unipc &&
                          schedule.config.kind == ScheduleKind::cosine;
    for (std::size_t k = 0; k < steps.size(); ++k) {
      const double t = sigma_to_t(sigmas[k], log_table);
      steps[k] = truncate ? std::trunc(t) : round_half_even(t);
    }
  } else {
    for (std::size_t k = 0; k < steps.size(); ++k) {
      sigmas[k] = table[static_cast<std::size_t>(steps[k])];
    }
  }
  sigmas.push_back(0.0);
  for (double& s : sigmas) s = to_float32(s);
  plan.init_noise_sigma = 1.0;
  plan.timesteps = std::move(steps);
  plan.sigmas = std::move(sigmas);
}

// FlowMatchEuler/HeunDiscreteScheduler.set_timesteps (diffusion/flow.hpp): N levels from 1 down
// to the training's smallest, shifted (again), then 0; the network is given s T.
void plan_flow(SamplerPlan& plan, const NoiseSchedule& schedule, const SamplerConfig& config, int N) {
  const double T = schedule.T, shift = config.flow_shift;
  const double lowest = flow_shift_level(1.0 / T, shift) * T;  // _sigma_to_t(sigma_min)
  std::vector<double> levels(static_cast<std::size_t>(N));
  for (int k = 0; k < N; ++k) {
    const double t = N > 1 ? T + (lowest - T) * k / (N - 1) : T;
    levels[static_cast<std::size_t>(k)] = to_float32(flow_shift_level(t / T, shift));
  }
  if (N > 1) levels.back() = to_float32(flow_shift_level(lowest / T, shift));
  std::vector<double> steps, sigmas;
  for (std::size_t k = 0; k < levels.size(); ++k) {
    const int copies = config.kind == SamplerKind::heun && k > 0 ? 2 : 1;
    steps.insert(steps.end(), copies, to_float32(levels[k] * T));
    sigmas.insert(sigmas.end(), copies, levels[k]);
  }
  sigmas.push_back(0.0);
  plan.timesteps = std::move(steps);
  plan.sigmas = std::move(sigmas);
  plan.init_noise_sigma = 1.0;
  plan.flow = true;
  // For an analytic denoiser: x_s / sqrt((1 - s)^2 + s^2) is an x_t of alpha_bar
  // (1 - s)^2 / ((1 - s)^2 + s^2); networks only read t.
  for (std::size_t k = 0; k + 1 < plan.sigmas.size(); ++k) {
    const double s = plan.sigmas[k];
    plan.alpha_bars.push_back((1 - s) * (1 - s) / ((1 - s) * (1 - s) + s * s));
  }
}

void plan_discrete(SamplerPlan& plan, const NoiseSchedule& schedule, const SamplerConfig& config) {
  const std::vector<double> table = schedule_sigmas(schedule);
  for (int t : sampler_timesteps(config, schedule.T)) {
    plan.timesteps.push_back(t);
    plan.sigmas.push_back(table[static_cast<std::size_t>(t)]);
    plan.alpha_bars.push_back(schedule.alpha_bar(static_cast<std::size_t>(t)));
  }
  plan.sigmas.push_back(0.0);
}

}  // namespace

NoiseLevel SamplerPlan::level(int k) const {
  DIFFUSE_ASSERT(k >= 0 && k < calls());
  const auto i = static_cast<std::size_t>(k);
  return {timesteps[i], alpha_bars[i]};
}

SamplerPlan sampler_plan(const NoiseSchedule& schedule, const SamplerConfig& config) {
  sampler_config_validate(config, schedule.T);
  const int N = sampler_steps(config, schedule.T);
  const TimestepSpacing spacing = sampler_spacing(config);
  SamplerPlan plan;
  if (config.flow) {
    plan_flow(plan, schedule, config, N);
    return plan;
  }
  switch (config.kind) {
    case SamplerKind::ddpm:
    case SamplerKind::ddim:
      plan_discrete(plan, schedule, config);
      return plan;
    case SamplerKind::euler:
    case SamplerKind::euler_a:
    case SamplerKind::heun:
      plan_euler_family(plan, schedule, config, spacing, N);
      break;
    case SamplerKind::dpmpp_2m:
    case SamplerKind::dpmpp_2m_sde:
    case SamplerKind::unipc:
      plan_multistep(plan, schedule, config, spacing, N);
      break;
  }
  for (std::size_t k = 0; k + 1 < plan.sigmas.size(); ++k) {
    plan.alpha_bars.push_back(alpha_bar_of_sigma(plan.sigmas[k]));
  }
  // The multistep solvers divide by the change of log-SNR from one level to the next.
  const bool multistep = config.kind == SamplerKind::dpmpp_2m ||
                         config.kind == SamplerKind::dpmpp_2m_sde || config.kind == SamplerKind::unipc;
  for (std::size_t k = 0; multistep && k + 1 < plan.sigmas.size(); ++k) {
    if (plan.sigmas[k + 1] == plan.sigmas[k]) {
      fail("steps = ", N, " is too many for ", sampler_kinds.name(config.kind), " with ",
           timestep_spacings.name(spacing), " spacing and T = ", schedule.T,
           ": the rounded timesteps repeat (", plan.timesteps[k], " twice), which divides by zero; "
           "use fewer steps");
    }
  }
  return plan;
}

}  // namespace diffuse
