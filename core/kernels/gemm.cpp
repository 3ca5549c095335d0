#include "kernels/gemm.hpp"

namespace diffuse::kernels {

// Placeholder until the blocked xsimd kernel lands: correct, slow.
void gemm(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
          float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
          float* C, std::size_t ldc, const Executor& /*executor*/) {
  gemm_ref(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace diffuse::kernels
