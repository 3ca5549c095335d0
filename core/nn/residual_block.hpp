#pragma once
// The residual block of the MLP trunk (docs/reference-workload.md, "Model" item 3): layers 1.. of
// the residual variant,
//   y = h + act(LayerNorm(h) W^T + b)
// Forward fills the named cache; backward reads it, overwrites the input gradient, accumulates the
// parameter gradients (+=), and leaves dL/d(pre-activation) in d_pre. Its linear layer is
// nn/linear.hpp's (the cache keeps act'(pre)).
#include <cstddef>

#include "base/executor.hpp"
#include "nn/linear.hpp"

namespace diffuse {
struct ResidualParams {
  const float* ln_weight;  // (H,)
  const float* ln_bias;    // (H,)
  const float* weight;     // (H, H)
  const float* bias;       // (H,)
};

struct ResidualGrads {
  float* ln_weight;  // (H,)
  float* ln_bias;    // (H,)
  float* weight;     // (H, H)
  float* bias;       // (H,)
};

struct ResidualCache {
  float* ln_out;   // (B, H) LayerNorm(h)
  float* ln_mean;  // (B,)
  float* ln_rstd;  // (B,)
  float* dact;     // (B, H) act'(LayerNorm(h) W^T + b)
};

// y (B, H) must not alias h (B, H) or cache.ln_out; it may alias cache.dact (inference).
void residual_block_forward(float* y, const ResidualCache& cache, const float* h,
                            const ResidualParams& params, std::size_t B, std::size_t H,
                            kernels::Activation act, const Executor& executor);

// dh (B, H) overwritten; grads accumulate. Scratch: d_pre (B, H) receives dL/dpre, d_ln (B, H)
// dL/d(LayerNorm(h)). dy (B, H); h (B, H) the forward input.
void residual_block_backward(float* dh, const ResidualGrads& grads, float* d_pre, float* d_ln,
                             const ResidualCache& cache, const float* dy, const float* h,
                             const ResidualParams& params, std::size_t B, std::size_t H,
                             kernels::Activation act, const Executor& executor);

}  // namespace diffuse
