#pragma once
// Row-wise softmax and its backward, for attention probabilities over keys (diffusers' Attention
// get_attention_scores: softmax in float32 of the scaled scores), each with its scalar twin:
//   p(r, j)  = exp(s(r, j) - m(r)) / sum_k exp(s(r, k) - m(r)),  m(r) = max_k s(r, k)
//   ds(r, j) = p(r, j) (dp(r, j) - sum_k p(r, k) dp(r, k))
// Subtracting the row maximum keeps every exponent <= 0: nothing overflows, and the largest term
// is exactly 1, so the sum is >= 1. The vector exp is activation_simd.hpp's exp(-y), y >= 0 (about
// 1 ulp; exponents below -87.3 give 1.2e-38 instead of a smaller number, which changes no sum by
// more than cols 1.2e-38); the twins compute in double and round once.
#include <cstddef>

namespace diffuse::kernels {

// p (rows, cols) = softmax of each row of s (rows, cols); p may be s.
void softmax_rows(float* p, const float* s, std::size_t rows, std::size_t cols);
void softmax_rows_ref(float* p, const float* s, std::size_t rows, std::size_t cols);

// ds (rows, cols) from dp = dL/dp and the forward's p; ds may be dp.
void softmax_rows_backward(float* ds, const float* dp, const float* p, std::size_t rows,
                           std::size_t cols);
void softmax_rows_backward_ref(float* ds, const float* dp, const float* p, std::size_t rows,
                               std::size_t cols);

}  // namespace diffuse::kernels
