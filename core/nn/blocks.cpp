#include "nn/blocks.hpp"

#include "kernels/linear.hpp"
#include "nn/layernorm.hpp"
#include "nn/linear.hpp"

namespace diffuse {

void dense_block_forward(float* y, float* dact, const float* x, const float* w, const float* b,
                         std::size_t B, std::size_t in, std::size_t out, kernels::Activation act,
                         const Executor& executor) {
  // Fused: bias, activation and its derivative in the GEMM's epilogue, bit for bit the unfused
  // result. Inference passes dact == y: nothing to keep for backward.
  if (dact == nullptr || dact == y) {
    kernels::linear_forward(act, y, nullptr, x, w, b, B, in, out, executor);
  } else {
    kernels::linear_forward_keep_derivative(act, y, dact, x, w, b, B, in, out, executor);
  }
}

void dense_block_backward(float* dx, float* dw, float* db, float* d_pre, const float* dact,
                          const float* dy, const float* x, const float* w, std::size_t B,
                          std::size_t in, std::size_t out, kernels::Activation act,
                          const Executor& executor, const kernels::BelowLayer& below) {
  // Fused: d_pre, its column sums and both products a block of rows at a time, while in L2.
  kernels::linear_backward_from_derivative(act, dx, dw, db, d_pre, dy, dact, x, w, B, in, out,
                                           executor, below);
}

void residual_block_forward(float* y, const ResidualCache& cache, const float* h,
                            const ResidualParams& params, std::size_t B, std::size_t H,
                            kernels::Activation act, const Executor& executor) {
  layernorm_forward(cache.ln_out, cache.ln_mean, cache.ln_rstd, h, params.ln_weight, params.ln_bias,
                    B, H);
  dense_block_forward(y, cache.dact, cache.ln_out, params.weight, params.bias, B, H, H, act,
                      executor);
  for (std::size_t i = 0; i < B * H; ++i) y[i] += h[i];
}

void residual_block_backward(float* dh, const ResidualGrads& grads, float* d_pre, float* d_ln,
                             const ResidualCache& cache, const float* dy, const float* h,
                             const ResidualParams& params, std::size_t B, std::size_t H,
                             kernels::Activation act, const Executor& executor) {
  dense_block_backward(d_ln, grads.weight, grads.bias, d_pre, cache.dact, dy, cache.ln_out,
                       params.weight, B, H, H, act, executor);
  layernorm_backward(dh, grads.ln_weight, grads.ln_bias, cache.ln_mean, cache.ln_rstd, d_ln, h,
                     params.ln_weight, B, H);
  // The skip connection: dL/dh also receives dy unchanged.
  for (std::size_t i = 0; i < B * H; ++i) dh[i] += dy[i];
}

}  // namespace diffuse
