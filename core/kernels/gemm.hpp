#pragma once
// Single-precision matrix multiply, row-major (ARCHITECTURE lesson 5: the SIMD kernel and its
// scalar twin share one signature):
//
//   C(M, N) = alpha * op(A) * op(B) + beta * C
//
// op(A) is (M, K): A stored (M, K) with row stride lda, or, transposed, stored (K, M).
// op(B) is (K, N): B stored (K, N) with row stride ldb, or, transposed, stored (N, K).
// The three products a network needs:
//   forward     Y = X W^T   gemm(no,  yes, B, out, in, ...)   (W is PyTorch's [out, in])
//   backward    dX = dY W   gemm(no,  no,  B, in, out, ...)
//   backward    dW += dY^T X gemm(yes, no, out, in, B, ..., beta = 1)
// beta = 0 overwrites C without reading it (C may hold NaN). M, N or K may be 0 (K = 0: C = beta C).
//
// gemm is the blocked xsimd kernel (gemm_driver.hpp, with narrow shapes in gemm_small.hpp); its
// result depends on the shape and the build only, never on the executor's thread count: tasks
// decide who computes a tile of C, not how. It allocates nothing once its per-thread scratch has
// grown to the largest shape seen.
#include <cstddef>

#include "base/executor.hpp"

namespace diffuse::kernels {

enum class Transpose { no, yes };

void gemm(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
          float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
          float* C, std::size_t ldc, const Executor& executor = serial_executor());

// The naive triple loop, accumulating in double: the reference the tests compare against.
void gemm_ref(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
              float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb,
              float beta, float* C, std::size_t ldc);

}  // namespace diffuse::kernels
