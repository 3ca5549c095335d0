#pragma once
// A fully connected layer with its activation, fused around the GEMM (PyTorch's nn.Linear: weight
// is [out, in]): an inference forward that stores only y, and the training pair, whose forward
// keeps the activation's derivative act'(pre) for the backward. Each kernel has a scalar twin
// (*_ref, linear_ref.cpp: gemm_ref and the element-wise twins in sequence, no executor), and each
// is bit for bit the sequence of unfused kernels spelled out in its comment (the backward's on
// blocks of 256 rows), so a layer can switch between the fused and the unfused calls without
// changing a result.
//
// Shapes: x (B, in), weight (out, in), bias (out,), y, dact, dy and dpre (B, out); every buffer
// row-major and contiguous.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/activation.hpp"

namespace diffuse::kernels {

// Inference forward (sampling):
//   y(b, o) = act(sum_i x(b, i) weight(o, i) + bias(o))       (B, out)
// with the bias and the activation applied in the GEMM's epilogue while each tile of the product
// is still in registers. bias may be nullptr (no bias); y must not overlap x or weight. Bit for bit
// gemm(no, yes) + add_bias_rows + activation_forward; results do not depend on the thread count.
void linear_forward(Activation act, float* y, const float* x, const float* weight,
                    const float* bias, std::size_t B, std::size_t in, std::size_t out,
                    const Executor& executor = serial_executor());
void linear_forward_ref(Activation act, float* y, const float* x, const float* weight,
                        const float* bias, std::size_t B, std::size_t in, std::size_t out);

// The layer below's activation and kept derivative act'(pre_below) (B, in), for a backward that
// hands that layer dL/dpre_below instead of dL/dx: with dact set, dx = (dpre weight) *
// act'(pre_below) formed in the product's epilogue (kernels/gemm_times_derivative.hpp), bit for
// bit what the layer below's own multiply would give. The layer below is then called with act =
// identity and dpre == dy, which only sums its bias gradient: one pass over memory fewer per layer.
struct BelowLayer {
  Activation act = Activation::identity;
  const float* dact = nullptr;  // nullptr: dx is dL/dx, as without a BelowLayer
};

// The training pair. The forward:
//   pre(b, o)  = sum_i x(b, i) weight(o, i) + bias(o)          (not stored)
//   y(b, o)    = act(pre(b, o))                                 (B, out)
//   dact(b, o) = act'(pre(b, o))                                (B, out)   kept for the backward
// with dact formed in the epilogue from the same exp (SiLU) or erfc (GELU) as y, so the backward
// evaluates no transcendental (SiLU's derivative was about 9% of a training step of the reference
// model). y is bit for bit linear_forward's, and both outputs are bit for bit gemm(no, yes) +
// add_bias_rows for pre, then activation_forward and activation_derivative of it. dact must not
// be null or overlap y (identity keeps ones there; a caller with nothing to keep calls
// linear_forward). bias may be nullptr.
void linear_forward_keep_derivative(Activation act, float* y, float* dact, const float* x,
                                    const float* weight, const float* bias, std::size_t B,
                                    std::size_t in, std::size_t out,
                                    const Executor& executor = serial_executor());
void linear_forward_keep_derivative_ref(Activation act, float* y, float* dact, const float* x,
                                        const float* weight, const float* bias, std::size_t B,
                                        std::size_t in, std::size_t out);

// The backward, given dy = dL/dy (B, out), the forward's dact (B, out) and input x (B, in):
//   dpre     = dy * dact                  (B, out)   overwritten; dpre may be dy or dact itself
//   dbias   += sum_b dpre(b, :)           (out,)     skipped when dbias is nullptr
//   dweight += dpre^T x                   (out, in)  accumulates, as every parameter gradient
//   dx       = dpre weight                (B, in)    overwritten; skipped when dx is nullptr
//                                                     (the first layer needs no input gradient);
//                                                     times below.dact when that is set
// The multiply is dy * dact except for relu, which selects (dy where dact > 0, else 0, so a
// non-finite dy where pre <= 0 still gives 0, as PyTorch's threshold_backward), and identity,
// where dpre = dy and dact is not read (it may be nullptr); identity with dpre == dy leaves dpre
// alone and only sums. Examples are processed in blocks of 256 rows (dpre, its column sums and
// both products of a block while it is in L2), and every output is bit for bit these unfused calls
// on each block of 256 rows in turn: the multiply, sum_rows_accumulate of dpre, gemm(yes, no,
// beta = 1) for dweight, and gemm(no, no) or, with below.dact, gemm_times_derivative for dx;
// dbias is also sum_rows_accumulate over all B rows (its blocks of 64 rows divide 256). For
// B <= 256 that is one unfused call each. Past 256 rows the blocks give one gemm over all B rows
// where gemm tiles the product (its tiles block K by the same 256), but not where gemm runs one
// chain over all of K: dweight's few-rows path (out at most half a tile of rows: the output layer)
// and column tail (in a few columns past whole panels: in = 34), and dx's few-rows path (a last
// block of a few rows with out > 256); there the last bits differ. Results do not depend on the
// executor's thread count.
void linear_backward_from_derivative(Activation act, float* dx, float* dweight, float* dbias,
                                     float* dpre, const float* dy, const float* dact,
                                     const float* x, const float* weight, std::size_t B,
                                     std::size_t in, std::size_t out,
                                     const Executor& executor = serial_executor(),
                                     const BelowLayer& below = {});
void linear_backward_from_derivative_ref(Activation act, float* dx, float* dweight, float* dbias,
                                         float* dpre, const float* dy, const float* dact,
                                         const float* x, const float* weight, std::size_t B,
                                         std::size_t in, std::size_t out,
                                         const BelowLayer& below = {});

}  // namespace diffuse::kernels
