#pragma once
// The forward (noising) process q (seed 002 section 6). Every function works on a batch of rows,
// each row b at its own timestep t(b) (diffusers' index: the seeds' step t(b) + 1).
// Shapes: x0, x_t, eps: (B, D); t: (B,). Outputs come first and are resized to (B, D).
#include "base/tensor.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

// The closed-form jump q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I):
//   x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps          (seed 002 section 6)
void q_sample(Tensor2& x_t, const Tensor2& x0, const Tensor2& eps, const Steps& t,
              const NoiseSchedule& schedule);

// One step of the chain q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I):
//   x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps                   (seed 002 section 6)
void q_step(Tensor2& x_t, const Tensor2& x_prev, const Tensor2& eps, const Steps& t,
            const NoiseSchedule& schedule);

}  // namespace diffuse
