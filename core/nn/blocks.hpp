#pragma once
// The two building blocks of the MLP trunk (docs/reference-workload.md, "Model" item 3):
//   dense     y = act(x W^T + b)                       (every plain layer, the time projection)
//   residual  y = h + act(LayerNorm(h) W^T + b)        (layers 1.. of the residual variant)
// Forward fills the named cache; backward reads it, overwrites the input gradient, accumulates the
// parameter gradients (+=), and leaves dL/d(pre-activation) in d_pre for callers that need more.
// The cache keeps act'(pre), not pre itself: the forward's epilogue forms it from the same exp as
// act (kernels/linear.hpp, the training pair), so backward evaluates no transcendental.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/activation.hpp"
#include "kernels/linear.hpp"

namespace diffuse {

// ---- dense: y = act(x W^T + b) ----------------------------------------------------------------

// y (B, out); cache dact (B, out) = act'(x W^T + b); x (B, in); w (out, in), b (out,). Inference,
// which keeps nothing for backward, passes dact == y (or nullptr). y must not alias x.
void dense_block_forward(float* y, float* dact, const float* x, const float* w, const float* b,
                         std::size_t B, std::size_t in, std::size_t out, kernels::Activation act,
                         const Executor& executor);

// dx (B, in) overwritten (skipped if nullptr); dw (out, in), db (out,) accumulate;
// d_pre (B, out) receives dL/dpre (it may be dact itself). dact (B, out) from forward; dy (B, out);
// x (B, in).
// Chained plain layers (kernels::BelowLayer): with below.dact set, dx is the layer below's dL/dpre;
// that layer is then called with dy = d_pre = that buffer, act = identity and dact = nullptr.
void dense_block_backward(float* dx, float* dw, float* db, float* d_pre, const float* dact,
                          const float* dy, const float* x, const float* w, std::size_t B,
                          std::size_t in, std::size_t out, kernels::Activation act,
                          const Executor& executor, const kernels::BelowLayer& below = {});

// ---- residual: y = h + act(LayerNorm(h) W^T + b) ------------------------------------------------

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
