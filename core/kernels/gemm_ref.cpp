#include "kernels/gemm.hpp"

namespace diffuse::kernels {

void gemm_ref(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
              float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb,
              float beta, float* C, std::size_t ldc) {
  for (std::size_t i = 0; i < M; ++i) {
    for (std::size_t j = 0; j < N; ++j) {
      double sum = 0.0;
      for (std::size_t k = 0; k < K; ++k) {
        const float a = trans_a == Transpose::no ? A[i * lda + k] : A[k * lda + i];
        const float b = trans_b == Transpose::no ? B[k * ldb + j] : B[j * ldb + k];
        sum += static_cast<double>(a) * b;
      }
      const double prior = beta == 0.0f ? 0.0 : static_cast<double>(beta) * C[i * ldc + j];
      C[i * ldc + j] = static_cast<float>(alpha * sum + prior);
    }
  }
}

}  // namespace diffuse::kernels
