#pragma once
// Internal to core/kernels: the paths for products too narrow for the tiled kernel.
//   * N smaller than one vector (a network's output layer, N = D = 2): a tile of C would leave
//     most lanes idle, so each element of C is a dot product vectorized along K instead.
//   * M of a few rows (that layer's weight gradient dW += dY^T X, M = D = 2, K = B): a tile of
//     M rows would have too few accumulators to hide the FMA latency, and packing B (all of X)
//     would cost more than the product, so a wide row kernel reads op(B) in place.
//   * A transposed with N a few columns past whole panels (the first layer's dW += dY^T X,
//     N = D + E = 34, or N = 2 alone): the last panel would compute 16 or 32 columns for 2, so the
//     tiles take the whole panels and the last few columns are sums of rows of A (contiguous along
//     M) scaled by elements of B.
#include <cstddef>

#include "base/executor.hpp"
#include "kernels/gemm.hpp"

namespace diffuse::kernels::detail {

// Whether gemm takes the dot-product path: op(A) rows contiguous (A not transposed) and N below
// one vector. Depends on the shape only, never on the executor.
bool gemm_small_applies(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N,
                        std::size_t K);

// Whether gemm takes the few-rows path: op(B) rows contiguous (B not transposed), M at most half
// a tile's rows (4 with AVX-512, 2 with 4 lanes), N at least one wide block of 4 vectors.
// Depends on the shape only.
bool gemm_few_rows_applies(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N,
                           std::size_t K);

// Same contract as gemm, for shapes where gemm_few_rows_applies.
void gemm_few_rows(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
                   float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb,
                   float beta, float* C, std::size_t ldc, const Executor& executor);

// Whether gemm splits off a column tail: A transposed, B not, 1 to 4 columns beyond whole panels
// (possibly none of those). Returns the tail's width, 0 for no. Depends on the shape only.
std::size_t gemm_column_tail(Transpose trans_a, Transpose trans_b, std::size_t N);  // 0: no

// C(:, 0..R-1) = alpha op(A) op(B)(:, 0..R-1) + beta C for A transposed (stored (K, M)), B stored
// (K, >= R) with row stride ldb, R = 1..4 columns: every element an fma chain over k in order.
void gemm_columns_transposed_a(std::size_t M, std::size_t R, std::size_t K, float alpha,
                               const float* A, std::size_t lda, const float* B, std::size_t ldb,
                               float beta, float* C, std::size_t ldc, const Executor& executor);

// Same contract as gemm, for shapes where gemm_small_applies.
void gemm_small(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
                float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb,
                float beta, float* C, std::size_t ldc, const Executor& executor);

}  // namespace diffuse::kernels::detail
