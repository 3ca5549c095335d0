#include "nn/layernorm.hpp"

#include <cmath>

namespace diffuse {

void layernorm_forward(float* y, float* mean, float* rstd, const float* x, const float* w,
                       const float* b, std::size_t B, std::size_t N) {
  const double inv_n = 1.0 / static_cast<double>(N);
  for (std::size_t r = 0; r < B; ++r) {
    const float* xr = x + r * N;
    float* yr = y + r * N;
    // Two passes in double: the variance of nearly constant rows does not cancel.
    double sum = 0.0;
    for (std::size_t j = 0; j < N; ++j) sum += xr[j];
    const double mu = sum * inv_n;
    double sq = 0.0;
    for (std::size_t j = 0; j < N; ++j) sq += (xr[j] - mu) * (xr[j] - mu);
    const double s = 1.0 / std::sqrt(sq * inv_n + layernorm_eps);
    mean[r] = static_cast<float>(mu);
    rstd[r] = static_cast<float>(s);
    for (std::size_t j = 0; j < N; ++j) {
      const float xhat = (xr[j] - mean[r]) * rstd[r];
      yr[j] = w[j] * xhat + b[j];
    }
  }
}

void layernorm_backward(float* dx, float* dw, float* db, const float* mean, const float* rstd,
                        const float* dy, const float* x, const float* w, std::size_t B,
                        std::size_t N) {
  const float inv_n = 1.0f / static_cast<float>(N);
  for (std::size_t r = 0; r < B; ++r) {
    const float* xr = x + r * N;
    const float* dyr = dy + r * N;
    float* dxr = dx + r * N;
    // The two row means that couple the features (xhat recomputed from the cached mean, rstd).
    float g_mean = 0.0f, g_xhat_mean = 0.0f;
    for (std::size_t j = 0; j < N; ++j) {
      const float xhat = (xr[j] - mean[r]) * rstd[r];
      const float g = dyr[j] * w[j];
      g_mean += g;
      g_xhat_mean += g * xhat;
    }
    g_mean *= inv_n;
    g_xhat_mean *= inv_n;
    for (std::size_t j = 0; j < N; ++j) {
      const float xhat = (xr[j] - mean[r]) * rstd[r];
      dw[j] += dyr[j] * xhat;
      db[j] += dyr[j];
      dxr[j] = rstd[r] * (dyr[j] * w[j] - g_mean - xhat * g_xhat_mean);
    }
  }
}

}  // namespace diffuse
