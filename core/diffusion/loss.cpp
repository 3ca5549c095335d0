#include "diffusion/loss.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"

namespace diffuse {
namespace {

// An estimate written as s = a x_t + c p.
struct Affine {
  double a, c;
};

// (x0_hat, eps_hat) from (x_t, p) for each prediction space; sa = sqrt(ab), sr = sqrt(1 - ab).
void estimates_from_prediction(Prediction prediction, double sa, double sr, Affine& x0, Affine& eps) {
  switch (prediction) {
    case Prediction::eps:  // x0 = (x_t - sr eps) / sa
      eps = {0.0, 1.0};
      x0 = {1.0 / sa, -sr / sa};
      return;
    case Prediction::x0:  // eps = (x_t - sa x0) / sr
      x0 = {0.0, 1.0};
      eps = {1.0 / sr, -sa / sr};
      return;
    case Prediction::v:  // x0 = sa x_t - sr v, eps = sr x_t + sa v
      x0 = {sa, -sr};
      eps = {sr, sa};
      return;
  }
}

// The target space as a combination of x0 and eps: s = alpha x0 + gamma eps.
void space_from_x0_eps(Prediction space, double sa, double sr, double& alpha, double& gamma) {
  switch (space) {
    case Prediction::eps: alpha = 0.0; gamma = 1.0; return;
    case Prediction::x0: alpha = 1.0; gamma = 0.0; return;
    case Prediction::v: alpha = -sr; gamma = sa; return;
  }
}

}  // namespace

LossWeighting loss_weighting_from_name(std::string_view name) {
  if (name == "none") return LossWeighting::none;
  if (name == "min_snr" || name == "min-snr") return LossWeighting::min_snr;
  fail("unknown loss weighting '", name, "': allowed are none, min_snr");
}

std::string loss_weighting_name(LossWeighting weighting) {
  return weighting == LossWeighting::min_snr ? "min_snr" : "none";
}

void loss_config_validate(const LossConfig& config) {
  if (!(std::isfinite(config.snr_gamma) && config.snr_gamma > 0)) {
    fail("snr_gamma = ", config.snr_gamma, " is invalid: must be a number > 0");
  }
}

double loss_weight(const LossConfig& config, const NoiseSchedule& schedule, int t) {
  if (config.weighting == LossWeighting::none) return 1.0;
  const double snr = schedule.snr(t);
  const double clipped = std::min(snr, config.snr_gamma);
  switch (config.space) {
    // min(snr, gamma) / snr, which tends to 1 as snr -> 0 (zero terminal SNR): write it so.
    case Prediction::eps: return snr <= config.snr_gamma ? 1.0 : config.snr_gamma / snr;
    case Prediction::x0: return clipped;
    case Prediction::v: return clipped / (snr + 1.0);
  }
  return 1.0;
}

LossResult loss_evaluate(Tensor2& grad_output, const Tensor2& output, Prediction prediction,
                         const Tensor2& x_t, const Tensor2& x0, const Tensor2& eps, const Steps& t,
                         const NoiseSchedule& schedule, const LossConfig& config,
                         std::size_t batch_rows) {
  const std::size_t B = output.shape(0), D = output.shape(1);
  grad_output.resize({B, D});
  LossResult result;
  result.per_row.assign(B, 0.0);
  const double scale = 1.0 / static_cast<double>((batch_rows == 0 ? B : batch_rows) * D);
  for (std::size_t b = 0; b < B; ++b) {
    const int step = t(b);
    const double sa = schedule.sqrt_alpha_bar(step), sr = schedule.sqrt_one_minus_alpha_bar(step);
    Affine x0_hat{}, eps_hat{};
    estimates_from_prediction(prediction, sa, sr, x0_hat, eps_hat);
    double alpha = 0, gamma = 0;
    space_from_x0_eps(config.space, sa, sr, alpha, gamma);
    const Affine s_hat = {alpha * x0_hat.a + gamma * eps_hat.a, alpha * x0_hat.c + gamma * eps_hat.c};
    const double weight = loss_weight(config, schedule, step);
    double row = 0;
    for (std::size_t d = 0; d < D; ++d) {
      const double target = alpha * x0(b, d) + gamma * eps(b, d);
      const double error = s_hat.a * x_t(b, d) + s_hat.c * output(b, d) - target;
      row += error * error;
      grad_output(b, d) = static_cast<float>(2.0 * weight * s_hat.c * error * scale);
    }
    result.per_row[b] = row / static_cast<double>(D);
    result.loss += weight * row * scale;
  }
  return result;
}

}  // namespace diffuse
