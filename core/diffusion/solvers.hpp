#pragma once
// The update rule of each sampler: the state after model call k from the state before it, the
// call's x_0 estimate x0_hat and, for stochastic samplers, the call's standard-normal noise z.
// Every rule is written in terms of x0_hat, so eps, x0 and v models all work (their conversion
// happens once, in the sampler, at the call's alpha_bar). sigma_k are the plan's levels
// (diffusion/sampler_plan.hpp); alpha_k = 1 / sqrt(1 + sigma_k^2), s_k = sigma_k alpha_k (the
// sqrt(ab) and sqrt(1 - ab) of the level) and lambda_k = log(alpha_k / s_k), the half log-SNR.
//
//   ddpm, ddim (solver_discrete.cpp): diffusion/sampler_config.hpp's coefficients, state x_t.
//   euler (solver_euler.cpp; Karras et al. 2022 Alg. 1 without churn), state y = x_t / alpha:
//     y' = y + (sigma' - sigma) (y - x0_hat) / sigma.
//   euler_a (solver_euler.cpp), ancestral: sigma_up = sqrt(sigma'^2 (sigma^2 - sigma'^2) / sigma^2),
//     sigma_down = sqrt(sigma'^2 - sigma_up^2), y' = y + (sigma_down - sigma) (y - x0_hat) / sigma
//     + sigma_up z.
//   heun (solver_heun.cpp; Karras et al. 2022 Alg. 1): even calls take the Euler step and keep
//     (y, d = (y - x0_hat) / sigma, dt); odd calls evaluate at the predicted point and correct,
//     y' = y_kept + dt (d_kept + d_new) / 2. The last call (to sigma = 0) is an Euler step.
//   dpmpp_2m, dpmpp_2m_sde (solver_dpm.cpp; Lu et al. 2022, DPM-Solver++ Alg. 2 with the
//     midpoint form), state x_t, with h = lambda' - lambda:
//     first order (the first call, and the last, to sigma = 0):
//       x' = (s'/s) x - alpha' (e^-h - 1) x0_hat                        (DDIM's step)
//       sde: x' = (s'/s) e^-h x + alpha' (1 - e^-2h) x0_hat + s' sqrt(1 - e^-2h) z
//     second order, with the previous estimate m1 at lambda_1, r = (lambda - lambda_1) / h,
//       D0 = x0_hat, D1 = (x0_hat - m1) / r:
//       x' = (s'/s) x - alpha' (e^-h - 1) (D0 + D1 / 2)
//       sde: x' = (s'/s) e^-h x + alpha' (1 - e^-2h) (D0 + D1 / 2) + s' sqrt(1 - e^-2h) z
//   unipc (solver_unipc.cpp; Zhao et al. 2023, UniPC with B(h) = e^h - 1, "bh2", order 2, in the
//     data-prediction form): from the second call on, the corrector UniC first replaces the state
//     with a corrected one using this call's estimate; then the predictor UniP steps to the next
//     level. Orders warm up (1, then 2) and the last step is first order (lower_order_final).
//
// A step to sigma' = 0 gives exactly x0_hat in every rule (the limit h -> infinity).
#include <memory>

#include "base/executor.hpp"
#include "base/tensor.hpp"
#include "diffusion/sampler_config.hpp"
#include "diffusion/sampler_plan.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

class Solver {
 public:
  virtual ~Solver() = default;
  // Whether call k reads z.
  virtual bool noisy(int k) const = 0;
  // state (n, D) in the plan's space, before call k -> after it. x0_hat (n, D); z (n, D) is read
  // only when noisy(k). Calls come in order 0, 1, ..., plan.calls() - 1.
  virtual void step(Tensor2& state, const Tensor2& x0_hat, const Tensor2& z, int k,
                    const Executor& executor) = 0;
};

// The solver of config's sampler for the plan (copied; the schedule must outlive the solver).
std::unique_ptr<Solver> solver_make(const NoiseSchedule& schedule, const SamplerConfig& config,
                                    const SamplerPlan& plan);

std::unique_ptr<Solver> solver_discrete(const NoiseSchedule& schedule, const SamplerConfig& config,
                                        const SamplerPlan& plan);
std::unique_ptr<Solver> solver_euler(const SamplerPlan& plan, bool ancestral);
std::unique_ptr<Solver> solver_heun(const SamplerPlan& plan);
std::unique_ptr<Solver> solver_dpm(const SamplerPlan& plan, bool sde);
std::unique_ptr<Solver> solver_unipc(const SamplerPlan& plan);

// out = sum of c_i x_i, element by element in double (out may be one of the x_i; a term with
// c_i = 0 is skipped, so it may hold anything, even an empty tensor).
struct SolverTerm {
  double c;
  const Tensor2* x;
};
void solver_combine(Tensor2& out, std::initializer_list<SolverTerm> terms,
                    const Executor& executor);

// The level's (alpha, s, lambda) = (1 / sqrt(1 + sigma^2), sigma alpha, log(alpha / s)); lambda is
// +infinity at sigma = 0.
struct LevelTerms {
  double alpha, s, lambda;
};
LevelTerms level_terms(double sigma);

}  // namespace diffuse
