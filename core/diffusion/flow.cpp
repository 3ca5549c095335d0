#include "diffusion/flow.hpp"

#include "base/check.hpp"

namespace diffuse {

double flow_shift_level(double s, double shift) {
  return shift * s / (1.0 + (shift - 1.0) * s);
}

double flow_train_level(int i, int T, double shift) {
  DIFFUSE_ASSERT(i >= 0 && i < T);
  return flow_shift_level(static_cast<double>(i + 1) / T, shift);
}

void flow_interpolate(Tensor2& x_t, const Tensor2& x0, const Tensor2& eps, const double* s) {
  const std::size_t B = x0.shape(0), D = x0.shape(1);
  x_t.resize({B, D});
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t d = 0; d < D; ++d) {
      x_t(b, d) = static_cast<float>((1.0 - s[b]) * x0(b, d) + s[b] * eps(b, d));
    }
  }
}

LossResult flow_loss_evaluate(Tensor2& grad, const Tensor2& output, const Tensor2& x0,
                              const Tensor2& eps, std::size_t batch_rows) {
  const std::size_t n = output.shape(0), D = output.shape(1);
  const double scale = 1.0 / static_cast<double>((batch_rows == 0 ? n : batch_rows) * D);
  grad.resize({n, D});
  LossResult result;
  result.per_row.resize(n);
  for (std::size_t b = 0; b < n; ++b) {
    double sum = 0.0;
    for (std::size_t d = 0; d < D; ++d) {
      const double residual = static_cast<double>(output(b, d)) - (eps(b, d) - static_cast<double>(x0(b, d)));
      sum += residual * residual;
      grad(b, d) = static_cast<float>(2.0 * residual * scale);
    }
    result.per_row[b] = sum / static_cast<double>(D);
    result.loss += sum * scale;
  }
  return result;
}

}  // namespace diffuse
