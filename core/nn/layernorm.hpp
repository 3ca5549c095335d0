#pragma once
// Layer normalization over the feature dimension (Ba, Kiros & Hinton 2016; torch.nn.LayerNorm(N)
// with eps 1e-5 and an elementwise affine):
//   mu = mean_j x_j,  var = mean_j (x_j - mu)^2 (biased),  rstd = 1 / sqrt(var + eps)
//   xhat_j = (x_j - mu) rstd,  y_j = w_j xhat_j + b_j
// Backward (llm.c layernorm_backward), with g_j = dy_j w_j:
//   dx_j = rstd (g_j - mean_k g_k - xhat_j mean_k(g_k xhat_k)),  dw_j += dy_j xhat_j,  db_j += dy_j
#include <cstddef>

namespace diffuse {

inline constexpr float layernorm_eps = 1e-5f;

// y (B, N) = LayerNorm(x (B, N)); cache: mean (B,), rstd (B,) for backward. w, b: (N,).
void layernorm_forward(float* y, float* mean, float* rstd, const float* x, const float* w,
                       const float* b, std::size_t B, std::size_t N);

// dx (B, N) overwritten; dw (N,), db (N,) accumulate. mean, rstd (B,) from forward; dy, x (B, N).
void layernorm_backward(float* dx, float* dw, float* db, const float* mean, const float* rstd,
                        const float* dy, const float* x, const float* w, std::size_t B,
                        std::size_t N);

}  // namespace diffuse
