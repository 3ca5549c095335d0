#include "nn/linear.hpp"

#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_times_derivative.hpp"
#include "kernels/linear.hpp"

namespace diffuse {

using kernels::Transpose;

void linear_forward(float* y, const float* x, const float* w, const float* b, std::size_t B,
                    std::size_t in, std::size_t out, const Executor& executor) {
  // Y (B, out) = X (B, in) W^T + b: W is stored (out, in). The bias is added in the GEMM's
  // epilogue (bit for bit gemm + add_bias_rows).
  kernels::linear_forward(kernels::Activation::identity, y, nullptr, x, w, b, B, in, out, executor);
}

void linear_backward(float* dx, float* dw, float* db, const float* dy, const float* x,
                     const float* w, std::size_t B, std::size_t in, std::size_t out,
                     const Executor& executor, const kernels::BelowLayer& below) {
  // dW (out, in) += dY^T (out, B) X (B, in)
  kernels::gemm(Transpose::yes, Transpose::no, out, in, B, 1.0f, dy, out, x, in, 1.0f, dw, in,
                executor);
  kernels::sum_rows_accumulate(db, dy, B, out);
  if (dx != nullptr && below.dact != nullptr) {
    // dL/dpre_below (B, in) = (dY (B, out) W (out, in)) * act'(pre_below)
    kernels::gemm_times_derivative(below.act, B, in, out, dy, out, w, in, below.dact, dx, in, executor);
  } else if (dx != nullptr) {
    // dX (B, in) = dY (B, out) W (out, in)
    kernels::gemm(Transpose::no, Transpose::no, B, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in,
                  executor);
  }
}

}  // namespace diffuse
