#pragma once
// Improved DDPM's hybrid objective (Nichol & Dhariwal 2021, section 3.1):
//   L_hybrid = L_simple + lambda L_vlb
// for a network whose output row is [p, o] (B, 2 D): p the prediction (eps, x0 or v), o the
// variance values (diffusion/learned_variance.hpp). L_simple is loss_evaluate's squared error of p
// in its configured space (diffusion/loss.hpp; --loss keeps its meaning). L_vlb is measured as in
// the paper's code (improved-diffusion's "vb" term): a row at step t estimates the bound's sum over
// its T terms by T L_t, in bits per dimension, so that the paper's lambda = 0.001 applies as is:
//   row loss = (1 / D) w_t || s_hat - s ||^2 + lambda T L_t / (D ln 2).
// The mean enters L_t through a stop-gradient: the L_vlb gradient reaches only o, and p learns
// from L_simple alone.
//
// Importance-sampled t (diffusion/timestep_sampler.hpp): each row's whole loss is multiplied by
// its weight 1 / (T p_t), as improved-diffusion's training loop does, so both terms keep their
// uniform-t expectations.
#include <cstddef>
#include <vector>

#include "base/tensor.hpp"
#include "diffusion/loss.hpp"
#include "diffusion/parameterization.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

struct HybridLossResult {
  LossResult simple;       // loss: the batch's L_simple (weighted); per_row: as loss_evaluate
  double loss = 0;         // the batch's hybrid loss: L_simple + lambda L_vlb, row weights applied
  std::vector<double> vlb;  // (B,) each row's L_t in nats (summed over D), unweighted
};

// grad_output (B, 2 D) = d loss / d output for output (B, 2 D) = [p, o]; x_t, x0, eps (B, D);
// t (B,). vlb_weight: lambda >= 0. levels: 0 for continuous data, >= 2 for the discretized
// decoder at t = 0. row_weights: (B,) importance weights or nullptr (all 1). batch_rows: the rows
// the mean is over (0: B), as loss_evaluate.
HybridLossResult hybrid_loss_evaluate(Tensor2& grad_output, const Tensor2& output,
                                      Prediction prediction, const Tensor2& x_t, const Tensor2& x0,
                                      const Tensor2& eps, const Steps& t,
                                      const NoiseSchedule& schedule, const LossConfig& config,
                                      double vlb_weight, int levels, const double* row_weights,
                                      std::size_t batch_rows = 0);

}  // namespace diffuse
