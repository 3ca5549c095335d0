#pragma once
// The fully connected layer, with PyTorch's nn.Linear layout (the weight W is stored [out, in]) and
// an optional activation (ARCHITECTURE lesson 2: outputs, cache, inputs, parameters, sizes):
//   forward    pre = x W^T + b,  y = act(pre)
//   backward   d_pre = dy * act'(pre),  dx = d_pre W,  dW += d_pre^T x,  db += sum over rows of d_pre
// The cache is act'(pre) (dact), not pre: the forward's GEMM epilogue forms it from the same exp as
// act (kernels/linear.hpp, the training pair), so backward evaluates no transcendental. With the
// identity activation there is nothing to keep: backward needs only the input x, which the caller
// keeps.
#include <cstddef>

#include "base/executor.hpp"
#include "base/rng.hpp"
#include "kernels/activation.hpp"
#include "kernels/linear.hpp"

namespace diffuse {

using kernels::Activation;
using kernels::BelowLayer;

// y (B, out) = act(x (B, in) w^T + b); w (out, in), b (out,). Training keeps dact (B, out) =
// act'(pre) for backward; inference (and the identity activation) passes dact = nullptr or y.
// y must not alias x.
void linear_forward(float* y, float* dact, const float* x, const float* w, const float* b,
                    std::size_t B, std::size_t in, std::size_t out, Activation act,
                    const Executor& executor);

// dx (B, in) overwritten (skipped if nullptr: the first layer's input is data); dw (out, in) and
// db (out,) accumulate. dy (B, out); x (B, in) the forward input; dact (B, out) the forward's
// cache. d_pre (B, out) receives dL/dpre (it may be dact or dy itself); with the identity
// activation d_pre may be nullptr: dy is then dL/dpre and the three products run unfused.
// Chained plain layers (kernels::BelowLayer): with below.dact set, dx is the layer below's dL/dpre,
// (dy W) * act'(pre_below) formed in the product's epilogue; that layer is then called with
// dy = d_pre = that buffer, the identity activation and dact = nullptr, which only sums its bias
// gradient: one pass over memory fewer per layer.
void linear_backward(float* dx, float* dw, float* db, float* d_pre, const float* dact,
                     const float* dy, const float* x, const float* w, std::size_t B,
                     std::size_t in, std::size_t out, Activation act, const Executor& executor,
                     const BelowLayer& below = {});

// The share of a block of input columns in a layer's pre-activation: y (B, out) = x (B, in)
// w[:, 0:in]^T + b, where w points at the block's first column of a weight stored with row stride
// ldw >= in (the time features' columns of the MLP's first layer, computed once per step when
// sampling). b may be nullptr. Bit for bit gemm + add_bias_rows.
void linear_forward_columns(float* y, const float* x, const float* w, std::size_t ldw,
                            const float* b, std::size_t B, std::size_t in, std::size_t out,
                            const Executor& executor);

// torch.nn.Linear's reset_parameters: weight (out, in), then bias (out,), each drawn by
// rng.fill_uniform and mapped to U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5) gives
// the same bound for the weight). Every model's Linear layers start this way.
void linear_init(float* weight, float* bias, std::size_t out, std::size_t in, Rng& rng);

}  // namespace diffuse
