#include <cmath>

#include "kernels/optimizer_kernels.hpp"

namespace diffuse::kernels {

void adam_update_ref(float* p, const float* g, float* m, float* v, std::size_t n,
                     const AdamStep& s) {
  for (std::size_t i = 0; i < n; ++i) {
    m[i] = s.beta1 * m[i] + (1.0f - s.beta1) * g[i];
    v[i] = s.beta2 * v[i] + (1.0f - s.beta2) * g[i] * g[i];
    const float m_hat = m[i] / s.bias_correction1;
    const float v_hat = v[i] / s.bias_correction2;
    p[i] -= s.lr * (m_hat / (std::sqrt(v_hat) + s.eps) + s.weight_decay * p[i]);
  }
}

void ema_update_ref(float* ema, const float* p, std::size_t n, float decay) {
  for (std::size_t i = 0; i < n; ++i) ema[i] = decay * ema[i] + (1.0f - decay) * p[i];
}

double squared_norm_ref(const float* x, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

void scale_inplace_ref(float* x, std::size_t n, float s) {
  for (std::size_t i = 0; i < n; ++i) x[i] *= s;
}

}  // namespace diffuse::kernels
