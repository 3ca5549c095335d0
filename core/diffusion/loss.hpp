#pragma once
// The training objective (seed 002 section 7, seed 004 "The Complete Training Algorithm"): the
// mean squared error between the model's prediction and the truth, measured in a chosen space.
//
// The model predicts p in its prediction space (eps, x0 or v). Together with x_t, p determines
// estimates of both x_0 and eps (x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps), so the error can be
// measured in any of the three spaces:
//   eps: L_simple, E || eps - eps_hat ||^2 (the DDPM loss);
//   x0:  E || x_0 - x0_hat ||^2;
//   v:   E || v - v_hat ||^2, v = sqrt(ab) eps - sqrt(1 - ab) x_0.
// Every estimate s_hat is affine in p for each row: s_hat = a_t x_t + c_t p, so the gradient is
// d loss / d p = 2 w_t c_t (s_hat - s) / (B D).
//
// Optional min-SNR-gamma weighting (Hang et al. 2023) reweights each row by w_t as given in
// docs/reference-workload.md, so that all loss spaces weight timesteps like min(SNR, gamma)
// weighting of the x0 error.
#include <string>
#include <string_view>
#include <vector>

#include "base/enum_names.hpp"
#include "base/tensor.hpp"
#include "diffusion/parameterization.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

enum class LossWeighting { none, min_snr };

struct LossConfig {
  Prediction space = Prediction::eps;  // where the squared error is measured
  LossWeighting weighting = LossWeighting::none;
  double snr_gamma = 5.0;  // gamma of min-SNR weighting, > 0
};

// Names (base/enum_names.hpp); the aliases after them are accepted when reading.
inline const EnumNames<LossWeighting> loss_weightings{"loss weighting",
                                                      {{LossWeighting::none, "none"},
                                                       {LossWeighting::min_snr, "min_snr"},
                                                       {LossWeighting::min_snr, "min-snr"}}};
void loss_config_validate(const LossConfig& config);

// The weight of a row at step t for the configured space and weighting.
double loss_weight(const LossConfig& config, const NoiseSchedule& schedule, int t);

struct LossResult {
  double loss = 0;              // (1 / (B D)) sum_b w_b || s_hat_b - s_b ||^2
  std::vector<double> per_row;  // (B,) unweighted (1 / D) || s_hat_b - s_b ||^2, for loss-vs-t
  std::vector<double> vlb_per_row;  // (B,) a learned variance's L_t of each row in nats
                                    // (diffusion/hybrid_loss.hpp); empty otherwise
};

// Computes the loss and its gradient with respect to the model output (grad_output is resized
// to (B, D) and overwritten).
//   output (B, D): the model's prediction in `prediction` space
//   x_t, x0, eps (B, D): the noisy input and the truth that made it; t (B,)
//   batch_rows: the rows the mean is over (0: B). A chunk of a larger batch passes the batch's
//   size, so that its loss and gradient are its share of the batch's (diffusion/batch_gradient).
LossResult loss_evaluate(Tensor2& grad_output, const Tensor2& output, Prediction prediction,
                         const Tensor2& x_t, const Tensor2& x0, const Tensor2& eps, const Steps& t,
                         const NoiseSchedule& schedule, const LossConfig& config,
                         std::size_t batch_rows = 0);

}  // namespace diffuse
