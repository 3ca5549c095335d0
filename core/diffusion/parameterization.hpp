#pragma once
// What the network predicts, and the conversions between the three standard targets.
// With x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps (seed 002 section 6, ab = alpha_bar_t):
//   eps  -> x_0:  x_0 = (x_t - sqrt(1 - ab) eps) / sqrt(ab)          (seed 004, "Solving for x_0")
//   x_0  -> eps:  eps = (x_t - sqrt(ab) x_0) / sqrt(1 - ab)
//   v = sqrt(ab) eps - sqrt(1 - ab) x_0   (Salimans & Ho 2022), hence
//   v    -> x_0:  x_0 = sqrt(ab) x_t - sqrt(1 - ab) v
//   v    -> eps:  eps = sqrt(1 - ab) x_t + sqrt(ab) v
// Shapes: (B, D) rows, t: (B,). Outputs first, resized to (B, D).
#include <string>
#include <string_view>

#include "base/tensor.hpp"
#include "diffusion/schedule.hpp"

namespace diffuse {

enum class Prediction { eps, x0, v };

// "eps" (also "epsilon"), "x0" (also "sample"), "v" (also "v_prediction"); others throw Error.
Prediction prediction_from_name(std::string_view name);
std::string prediction_name(Prediction prediction);

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
