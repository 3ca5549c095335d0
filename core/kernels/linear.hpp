#pragma once
// A fully connected layer with its activation, forward and backward, fused around the GEMM
// (PyTorch's nn.Linear: weight is [out, in]), in two pairs: one keeps the pre-activation for
// backward, the training pair keeps the activation's derivative. The first pair has scalar twins
// (*_ref: gemm_ref and the activation twins, no executor); the training pair is tested bit for bit
// against the first.
//
// Shapes: x (B, in), weight (out, in), bias (out,), pre and y (B, out); every buffer row-major and
// contiguous.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/activation.hpp"

namespace diffuse::kernels {

// Forward:
//   pre(b, o) = sum_i x(b, i) weight(o, i) + bias(o)         (B, out)
//   y(b, o)   = act(pre(b, o))                                 (B, out)
// computed in the GEMM's epilogue while each tile of the product is still in registers, so the
// bias and the activation cost no pass over memory. pre is what linear_backward needs; pass
// nullptr when it is not wanted (sampling) and only y is stored. bias may be nullptr (no bias).
// y and pre must not overlap, except y == pre with act == identity. pre holds bit for bit what
// gemm + add_bias_rows give and y what activation_forward(act, pre) gives, so a layer can switch
// to this kernel without changing a result; nor do results depend on the thread count.
void linear_forward(Activation act, float* y, float* pre, const float* x, const float* weight,
                    const float* bias, std::size_t B, std::size_t in, std::size_t out,
                    const Executor& executor = serial_executor());
void linear_forward_ref(Activation act, float* y, float* pre, const float* x, const float* weight,
                        const float* bias, std::size_t B, std::size_t in, std::size_t out);

// Backward, given dy = dL/dy (B, out), the forward's pre (B, out) and input x (B, in):
//   dpre     = dy * act'(pre)             (B, out)   overwritten; dpre may be dy or pre itself
//   dbias   += sum_b dpre(b, :)           (out,)     skipped when dbias is nullptr
//   dweight += dpre^T x                   (out, in)  accumulates, as every parameter gradient
//   dx       = dpre weight                (B, in)    overwritten; skipped when dx is nullptr
//                                                     (the first layer needs no input gradient)
// Examples are processed in blocks of 256 rows (dpre, its column sums and both products of a
// block while it is in L2). Every output is bit for bit what the unfused calls give:
// activation_backward, sum_rows_accumulate on dpre, and one gemm each for dweight and dx. Results
// do not depend on the executor's thread count.
void linear_backward(Activation act, float* dx, float* dweight, float* dbias, float* dpre,
                     const float* dy, const float* pre, const float* x, const float* weight,
                     std::size_t B, std::size_t in, std::size_t out,
                     const Executor& executor = serial_executor());
void linear_backward_ref(Activation act, float* dx, float* dweight, float* dbias, float* dpre,
                         const float* dy, const float* pre, const float* x, const float* weight,
                         std::size_t B, std::size_t in, std::size_t out);

// The training pair: the forward keeps dact = act'(pre) instead of pre, formed in the epilogue
// from the same exp (SiLU) or erfc (GELU) as y, and the backward multiplies by it, so no
// transcendental is evaluated twice (SiLU's derivative was about 9% of a training step of the
// reference model). Same contracts as the pair above, with dact in place of pre: y is bit for bit
// linear_forward's y, dact is activation_derivative(act, pre), and every output of the backward
// is bit for bit linear_backward's given the same pre. dact must not be null (except with act =
// identity, where it is not read) or overlap y; dpre may be dy or dact itself.
// The layer below's activation and kept derivative act'(pre_below) (B, in), for a backward that
// hands that layer dL/dpre_below instead of dL/dx: with dact set, dx = (dpre weight) * act'(pre_below)
// formed in the product's epilogue (kernels/gemm_times_derivative.hpp), bit for bit what the layer
// below's own multiply would give. The layer below is then called with act = identity and
// dpre == dy, which only sums its bias gradient: one pass over memory fewer per layer.
struct BelowLayer {
  Activation act = Activation::identity;
  const float* dact = nullptr;  // nullptr: dx is dL/dx, as without a BelowLayer
};

void linear_forward_keep_derivative(Activation act, float* y, float* dact, const float* x,
                                    const float* weight, const float* bias, std::size_t B,
                                    std::size_t in, std::size_t out,
                                    const Executor& executor = serial_executor());
void linear_backward_from_derivative(Activation act, float* dx, float* dweight, float* dbias,
                                     float* dpre, const float* dy, const float* dact,
                                     const float* x, const float* weight, std::size_t B,
                                     std::size_t in, std::size_t out,
                                     const Executor& executor = serial_executor(),
                                     const BelowLayer& below = {});

}  // namespace diffuse::kernels
