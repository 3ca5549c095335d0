#pragma once
// Flow matching (rectified flow; Lipman et al. 2023, Liu et al. 2023) as a second training
// objective, with the definitions of diffusers' FlowMatchEulerDiscreteScheduler:
//   path      x_s = (1 - s) x_0 + s eps,  s in [0, 1] (s = 0 data, s = 1 noise)
//   target    the velocity u = d x_s / d s = eps - x_0, learned by plain MSE
//   shift     s -> shift s / (1 + (shift - 1) s)  (shift > 1 spends more of training and sampling
//             at high noise; SD3 uses 3)
//   network   given the real-valued step t = s T (T = num_train_timesteps), never the index.
// Training draws an index i uniform in 0..T-1 as diffusion does and trains at
//   s_i = shift((i + 1) / T)                     (diffusers' training sigmas, T / T .. 1 / T)
// Sampling (sampler_plan.hpp: euler and heun, FlowMatchEuler/HeunDiscreteScheduler): N levels
//   s_k = shift(t_k / T), t_k = np.linspace(T, shift(1 / T) T, N)   (diffusers shifts the smallest
//   level twice: once in the training sigmas, once here), then 0; x_T = z; the step is
//   x' = x + (s' - s) u, and the x_0 estimate is x - s u.
// In these terms every Euler/Heun formula of diffusion/solvers.hpp holds unchanged with sigma = s
// and the state x itself (d = (x - x0_hat) / s = u).
#include <cstddef>
#include <string>

#include "base/ranges.hpp"
#include "base/tensor.hpp"
#include "diffusion/loss.hpp"

namespace diffuse {

// The shift's allowed values.
inline const NumberRange flow_shift_range{0.01, 100, false, false};

// shift s / (1 + (shift - 1) s).
double flow_shift_level(double s, double shift);

// The training level of index i (0..T-1): shift((i + 1) / T).
double flow_train_level(int i, int T, double shift);

// x_t (B, D) = (1 - s_b) x0 + s_b eps, row b at level s[b].
void flow_interpolate(Tensor2& x_t, const Tensor2& x0, const Tensor2& eps, const double* s);

// The flow loss of output (n, D) against eps - x0: per-row means of squares, their mean (over the
// batch_rows rows of the whole batch when this is a chunk of it) and grad = dL/doutput.
LossResult flow_loss_evaluate(Tensor2& grad, const Tensor2& output, const Tensor2& x0,
                              const Tensor2& eps, std::size_t batch_rows = 0);

}  // namespace diffuse
