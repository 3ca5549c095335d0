#include "diffusion/loss.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"

namespace diffuse {

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
    // s = alpha x0 + gamma eps, and its estimate from (x_t, p): s_hat = a x_t + c p.
    const PredictionEstimates hat = prediction_estimates(prediction, sa, sr);
    const AffinePair space = space_from_x0_eps(config.space, sa, sr);
    const double alpha = space.a, gamma = space.c;
    const AffinePair s_hat = {alpha * hat.x0.a + gamma * hat.eps.a, alpha * hat.x0.c + gamma * hat.eps.c};
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
