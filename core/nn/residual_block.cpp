#include "nn/residual_block.hpp"

#include "nn/layernorm.hpp"
#include "nn/linear.hpp"

namespace diffuse {

void residual_block_forward(float* y, const ResidualCache& cache, const float* h,
                            const ResidualParams& params, std::size_t B, std::size_t H,
                            kernels::Activation act, const Executor& executor) {
  layernorm_forward(cache.ln_out, cache.ln_mean, cache.ln_rstd, h, params.ln_weight, params.ln_bias,
                    B, H);
  linear_forward(y, cache.dact, cache.ln_out, params.weight, params.bias, B, H, H, act, executor);
  for (std::size_t i = 0; i < B * H; ++i) y[i] += h[i];
}

void residual_block_backward(float* dh, const ResidualGrads& grads, float* d_pre, float* d_ln,
                             const ResidualCache& cache, const float* dy, const float* h,
                             const ResidualParams& params, std::size_t B, std::size_t H,
                             kernels::Activation act, const Executor& executor) {
  linear_backward(d_ln, grads.weight, grads.bias, d_pre, cache.dact, dy, cache.ln_out,
                       params.weight, B, H, H, act, executor);
  layernorm_backward(dh, grads.ln_weight, grads.ln_bias, cache.ln_mean, cache.ln_rstd, d_ln, h,
                     params.ln_weight, B, H);
  // The skip connection: dL/dh also receives dy unchanged.
  for (std::size_t i = 0; i < B * H; ++i) dh[i] += dy[i];
}

}  // namespace diffuse
