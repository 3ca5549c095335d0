#pragma once
// Group normalization (Wu & He, "Group Normalization", ECCV 2018; torch.nn.GroupNorm(G, C, eps,
// affine=True)), fused with the activation that follows it (diffusers' ResnetBlock2D and
// UNet2DModel's conv_norm_out apply SiLU right after their GroupNorm; the attention block's
// GroupNorm has none: identity). On x (B, C, HW) with G groups of Cg = C / G consecutive channels,
// for each (b, g) over its N = Cg HW values:
//   mu   = mean x,  var = mean (x - mu)^2 (biased, as torch),  rstd = 1 / sqrt(var + eps)
//   xhat = (x - mu) rstd,  pre = gamma(c) xhat + beta(c),  y = act(pre)
// Backward, given dy = dL/dy: dpre = dy act'(pre) and, with g = gamma(c) dpre,
//   dx        = rstd (g - mean(g) - xhat mean(g xhat))      (means over the N values of (b, g))
//   dgamma(c) += sum_{b, hw} dpre xhat,   dbeta(c) += sum_{b, hw} dpre
// (the LayerNorm backward of nn/layernorm.hpp, per group).
//
// Cache: mean, rstd (B, G) and, for act != identity, dact = act'(pre) (B, C, HW), formed from the
// same exp as y (kernels/activation_simd.hpp), so backward evaluates no transcendental and needs
// no copy of pre. y and dact are bit for bit what group_norm_forward with identity followed by
// activation_forward / activation_derivative give, and dx, dgamma, dbeta what
// activation_backward followed by the identity backward give
// (tests/unit/kernels/test_group_norm.cpp).
//
// The SIMD kernels sum in float32 vectors (four accumulators over each (b, g) block for the
// statistics, one per channel in the backward); the twins (*_ref) in double. Results do not
// depend on the executor's thread count: forward tasks own (b, g) blocks, backward tasks own
// groups and add each image's sums in increasing b.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/activation.hpp"

namespace diffuse::kernels {

struct GroupNormShape {
  std::size_t batch = 1;     // B
  std::size_t channels = 1;  // C, a multiple of groups
  std::size_t groups = 1;    // G
  std::size_t pixels = 1;    // HW: values per channel
  float eps = 1e-5f;         // torch's default and UNet2DModel's norm_eps
};

// y (B, C, HW); cache dact (B, C, HW) (skipped when nullptr: inference; not written for
// identity), mean and rstd (B, G); x (B, C, HW); gamma, beta (C,). y may be x.
void group_norm_forward(Activation act, float* y, float* dact, float* mean, float* rstd,
                        const float* x, const float* gamma, const float* beta,
                        const GroupNormShape& shape, const Executor& executor = serial_executor());
void group_norm_forward_ref(Activation act, float* y, float* dact, float* mean, float* rstd,
                            const float* x, const float* gamma, const float* beta,
                            const GroupNormShape& shape);

// dx (B, C, HW) overwritten (it may be dy); dgamma, dbeta (C,) accumulate. dact (unread for
// identity), mean, rstd from the forward; dy (B, C, HW); x the forward's input.
void group_norm_backward(Activation act, float* dx, float* dgamma, float* dbeta, const float* dact,
                         const float* mean, const float* rstd, const float* dy, const float* x,
                         const float* gamma, const GroupNormShape& shape,
                         const Executor& executor = serial_executor());
void group_norm_backward_ref(Activation act, float* dx, float* dgamma, float* dbeta,
                             const float* dact, const float* mean, const float* rstd,
                             const float* dy, const float* x, const float* gamma,
                             const GroupNormShape& shape);

}  // namespace diffuse::kernels
