#pragma once
// A fully connected layer with PyTorch's nn.Linear layout (ARCHITECTURE lesson 2: outputs, cache,
// inputs, parameters, sizes). The weight W is stored [out, in], so
//   forward    Y = X W^T + b
//   backward   dX = dY W,   dW += dY^T X,   db += sum over rows of dY
// Linear keeps no cache of its own: backward needs only its input X, which the caller keeps.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/linear.hpp"

namespace diffuse {

// y (B, out) = x (B, in) * w^T + b;   w: (out, in), b: (out,).
void linear_forward(float* y, const float* x, const float* w, const float* b, std::size_t B,
                    std::size_t in, std::size_t out, const Executor& executor);

// dx (B, in) = dy (B, out) * w, overwritten (skipped when dx is nullptr: the first layer's input
// is data); dw (out, in) += dy^T x; db (out,) += sum_b dy(b, :). x (B, in) is the forward input.
// With below.dact set, dx is the layer below's dL/dpre instead: (dy w) * act'(pre_below)
// (kernels::BelowLayer).
void linear_backward(float* dx, float* dw, float* db, const float* dy, const float* x,
                     const float* w, std::size_t B, std::size_t in, std::size_t out,
                     const Executor& executor, const kernels::BelowLayer& below = {});

}  // namespace diffuse
