#include "nn/linear.hpp"

#include <cmath>

#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_times_derivative.hpp"
#include "kernels/linear.hpp"

namespace diffuse {

using kernels::Transpose;

void linear_forward(float* y, float* dact, const float* x, const float* w, const float* b,
                    std::size_t B, std::size_t in, std::size_t out, Activation act,
                    const Executor& executor) {
  // Fused: bias, activation and its derivative in the GEMM's epilogue, bit for bit the unfused
  // result.
  if (dact == nullptr || dact == y || act == Activation::identity) {
    kernels::linear_forward(act, y, x, w, b, B, in, out, executor);
  } else {
    kernels::linear_forward_keep_derivative(act, y, dact, x, w, b, B, in, out, executor);
  }
}

namespace {

// The identity layer given dL/dpre = dy: three products, nothing to multiply.
void plain_backward(float* dx, float* dw, float* db, const float* dy, const float* x,
                    const float* w, std::size_t B, std::size_t in, std::size_t out,
                    const Executor& executor, const BelowLayer& below) {
  // dW (out, in) += dY^T (out, B) X (B, in)
  kernels::gemm(Transpose::yes, Transpose::no, out, in, B, 1.0f, dy, out, x, in, 1.0f, dw, in,
                executor);
  kernels::sum_rows_accumulate(db, dy, B, out);
  if (dx != nullptr && below.dact != nullptr) {
    // dL/dpre_below (B, in) = (dY (B, out) W (out, in)) * act'(pre_below)
    kernels::gemm_times_derivative(below.act, B, in, out, dy, out, w, in, below.dact, dx, in,
                                   executor);
  } else if (dx != nullptr) {
    // dX (B, in) = dY (B, out) W (out, in)
    kernels::gemm(Transpose::no, Transpose::no, B, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in,
                  executor);
  }
}

}  // namespace

void linear_backward(float* dx, float* dw, float* db, float* d_pre, const float* dact,
                     const float* dy, const float* x, const float* w, std::size_t B,
                     std::size_t in, std::size_t out, Activation act, const Executor& executor,
                     const BelowLayer& below) {
  if (act == Activation::identity && d_pre == nullptr) {
    plain_backward(dx, dw, db, dy, x, w, B, in, out, executor, below);
    return;
  }
  // Fused: d_pre, its column sums and both products a block of rows at a time, while in L2.
  kernels::linear_backward_from_derivative(act, dx, dw, db, d_pre, dy, dact, x, w, B, in, out,
                                           executor, below);
}

void linear_forward_columns(float* y, const float* x, const float* w, std::size_t ldw,
                            const float* b, std::size_t B, std::size_t in, std::size_t out,
                            const Executor& executor) {
  kernels::gemm(Transpose::no, Transpose::yes, B, out, in, 1.0f, x, in, w, ldw, 0.0f, y, out,
                executor);
  if (b != nullptr) kernels::add_bias_rows(y, b, B, out);
}

void linear_init(float* weight, float* bias, std::size_t out, std::size_t in, Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  for (float* v : {weight, bias}) {
    const std::size_t n = v == weight ? out * in : out;
    rng.fill_uniform(v, n);  // [0, 1)
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>((2.0 * v[i] - 1.0) * bound);
  }
}

}  // namespace diffuse
