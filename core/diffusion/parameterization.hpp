#pragma once
// What the network predicts, and the conversions between the three standard targets.
// With x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps (seed 002 section 6, ab = alpha_bar_t):
//   eps  -> x_0:  x_0 = (x_t - sqrt(1 - ab) eps) / sqrt(ab)          (seed 004, "Solving for x_0")
//   x_0  -> eps:  eps = (x_t - sqrt(ab) x_0) / sqrt(1 - ab)
//   v = sqrt(ab) eps - sqrt(1 - ab) x_0   (Salimans & Ho 2022), hence
//   v    -> x_0:  x_0 = sqrt(ab) x_t - sqrt(1 - ab) v
//   v    -> eps:  eps = sqrt(1 - ab) x_t + sqrt(ab) v
// Every one of these is affine in its two inputs with coefficients of (sqrt(ab), sqrt(1 - ab)):
// the coefficients are written once, below, and the tensor conversions, the loss
// (diffusion/loss.hpp) and the oracle denoiser (diffusion/mixture_denoiser.hpp) all use them.
// Shapes: (B, D) rows, t: (B,). Outputs first, resized to (B, D).
#include <string>
#include <string_view>

#include "base/enum_names.hpp"
#include "base/tensor.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

enum class Prediction { eps, x0, v };

// "eps" (also "epsilon"), "x0" (also "sample"), "v" (also "v_prediction"); others throw Error.
// Names (base/enum_names.hpp); the aliases after them are accepted when reading.
inline const EnumNames<Prediction> predictions{"prediction type",
                                               {{Prediction::eps, "eps"},
                                                {Prediction::x0, "x0"},
                                                {Prediction::v, "v"},
                                                {Prediction::eps, "epsilon"},
                                                {Prediction::x0, "sample"},
                                                {Prediction::v, "v_prediction"}}};

// value = a x + c y for one row, a and c functions of (sa, sr) = (sqrt(ab), sqrt(1 - ab)).
struct AffinePair {
  double a = 0, c = 0;
};

// The estimates a prediction p of the given type makes, together with x_t:
//   x0_hat = x0.a x_t + x0.c p,   eps_hat = eps.a x_t + eps.c p.
struct PredictionEstimates {
  AffinePair x0, eps;
};
PredictionEstimates prediction_estimates(Prediction prediction, double sa, double sr);

// A space (eps, x0 or v) in terms of the truth: s = a x_0 + c eps, so eps (0, 1), x0 (1, 0) and
// v (-sr, sa).
AffinePair space_from_x0_eps(Prediction space, double sa, double sr);

void x0_from_eps(Tensor2& x0, const Tensor2& x_t, const Tensor2& eps, const Steps& t,
                 const NoiseSchedule& schedule);
void eps_from_x0(Tensor2& eps, const Tensor2& x_t, const Tensor2& x0, const Steps& t,
                 const NoiseSchedule& schedule);
void v_from_x0_eps(Tensor2& v, const Tensor2& x0, const Tensor2& eps, const Steps& t,
                   const NoiseSchedule& schedule);
void x0_from_v(Tensor2& x0, const Tensor2& x_t, const Tensor2& v, const Steps& t,
               const NoiseSchedule& schedule);
void eps_from_v(Tensor2& eps, const Tensor2& x_t, const Tensor2& v, const Steps& t,
                const NoiseSchedule& schedule);

// The model's output read as an x_0 estimate, or as an eps estimate, whatever it predicts.
void predicted_x0(Tensor2& x0, const Tensor2& model_output, Prediction prediction,
                  const Tensor2& x_t, const Steps& t, const NoiseSchedule& schedule);
void predicted_eps(Tensor2& eps, const Tensor2& model_output, Prediction prediction,
                   const Tensor2& x_t, const Steps& t, const NoiseSchedule& schedule);

}  // namespace diffuse
