#include "diffusion/hybrid_loss.hpp"

#include <cmath>

#include "base/check.hpp"
#include "diffusion/learned_variance.hpp"

namespace diffuse {
namespace {

constexpr double ln2 = 0.69314718055994530942;

// dst (B, D) = columns [first, first + D) of src (B, 2 D).
void copy_columns(Tensor2& dst, const Tensor2& src, std::size_t first, std::size_t D) {
  const std::size_t B = src.shape(0), W = src.shape(1);
  dst.resize({B, D});
  for (std::size_t b = 0; b < B; ++b) {
    std::copy(src.data() + b * W + first, src.data() + b * W + first + D, dst.data() + b * D);
  }
}

}  // namespace

HybridLossResult hybrid_loss_evaluate(Tensor2& grad_output, const Tensor2& output,
                                      Prediction prediction, const Tensor2& x_t, const Tensor2& x0,
                                      const Tensor2& eps, const Steps& t,
                                      const NoiseSchedule& schedule, const LossConfig& config,
                                      double vlb_weight, int levels, const double* row_weights,
                                      std::size_t batch_rows) {
  const std::size_t B = output.shape(0), D = x0.shape(1);
  DIFFUSE_ASSERT(output.shape(1) == 2 * D);
  Tensor2 p, o, grad_p, x0_hat;
  LogVariances log_variance, grad_log_variance;
  copy_columns(p, output, 0, D);
  copy_columns(o, output, D, D);

  HybridLossResult result;
  result.simple = loss_evaluate(grad_p, p, prediction, x_t, x0, eps, t, schedule, config, batch_rows);
  // L_vlb with the mean frozen: x0_hat is a value here, not a function of p (stop-gradient).
  predicted_x0(x0_hat, p, prediction, x_t, t, schedule);
  learned_log_variances(log_variance, o, t, schedule);
  vlb_terms(result.vlb, &grad_log_variance, x0, x_t, x0_hat, log_variance, t, schedule, levels);

  const double rows = static_cast<double>(batch_rows == 0 ? B : batch_rows);
  const double vlb_scale = vlb_weight * schedule.T / (static_cast<double>(D) * ln2);  // per row
  grad_output.resize({B, 2 * D});
  for (std::size_t b = 0; b < B; ++b) {
    const double w = row_weights != nullptr ? row_weights[b] : 1.0;
    const double simple_row =
        loss_weight(config, schedule, t(b)) * result.simple.per_row[b] / rows;  // its share
    result.loss += w * (simple_row + vlb_scale * result.vlb[b] / rows);
    const LogVarianceRange range = learned_variance_range(schedule, t(b));
    const double dlog_var_do = 0.5 * (range.log_beta - range.log_beta_tilde);  // eq. 15
    float* row = grad_output.data() + b * 2 * D;
    for (std::size_t d = 0; d < D; ++d) {
      row[d] = static_cast<float>(w * grad_p(b, d));
      row[D + d] = static_cast<float>(w * vlb_scale / rows * grad_log_variance(b, d) * dlog_var_do);
    }
  }
  return result;
}

}  // namespace diffuse
