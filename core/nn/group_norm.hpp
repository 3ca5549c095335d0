#pragma once
// Group normalization layers (Wu & He 2018; torch.nn.GroupNorm(G, C, eps, affine=True)) on NCHW
// activations, alone (the attention block's group_norm) or followed by SiLU (every GroupNorm of a
// diffusers ResnetBlock2D, norm1 and norm2, and UNet2DModel's conv_norm_out, which its forward
// always follows with nonlinearity = SiLU). The math and its backward are in
// kernels/group_norm.hpp; parameters weight (gamma) and bias (beta) are (C,), as torch names them.
//
// Cache: mean and rstd (B, G); the fused layer also keeps dact = silu'(pre) (B, C, HW) instead of
// the normalized pre-activation, so its backward evaluates no exp. The fused layer is bit for bit
// group_norm_forward followed by SiLU (tests/unit/nn/test_group_norm.cpp).
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/group_norm.hpp"

namespace diffuse {

// y (B, C, HW) = GroupNorm(x (B, C, HW)); cache mean, rstd (B, G); weight, bias (C,).
void group_norm_forward(float* y, float* mean, float* rstd, const float* x, const float* weight,
                        const float* bias, const kernels::GroupNormShape& shape,
                        const Executor& executor);

// dx (B, C, HW) overwritten (may be dy); dweight, dbias (C,) accumulate. mean, rstd from forward;
// dy (B, C, HW); x the forward's input.
void group_norm_backward(float* dx, float* dweight, float* dbias, const float* mean,
                         const float* rstd, const float* dy, const float* x, const float* weight,
                         const kernels::GroupNormShape& shape, const Executor& executor);

// y (B, C, HW) = SiLU(GroupNorm(x)); cache dact (B, C, HW) (nullptr for inference), mean, rstd
// (B, G).
void group_norm_silu_forward(float* y, float* dact, float* mean, float* rstd, const float* x,
                             const float* weight, const float* bias,
                             const kernels::GroupNormShape& shape, const Executor& executor);

// dx (B, C, HW) overwritten (may be dy); dweight, dbias accumulate. dact, mean, rstd from the
// fused forward; dy = dL/dy (B, C, HW); x the forward's input.
void group_norm_silu_backward(float* dx, float* dweight, float* dbias, const float* dact,
                              const float* mean, const float* rstd, const float* dy, const float* x,
                              const float* weight, const kernels::GroupNormShape& shape,
                              const Executor& executor);

}  // namespace diffuse
