// The public gemm: trivial sizes, the narrow paths of gemm_small, and otherwise the blocked
// kernel (gemm_driver.hpp) with the alpha/beta epilogue.
#include "kernels/gemm.hpp"

#include "kernels/gemm_driver.hpp"
#include "kernels/gemm_small.hpp"

namespace diffuse::kernels {
namespace {

using detail::Batch;

// C = alpha * sum + beta * C on the first block of K; later blocks add alpha * sum.
struct ScaleEpilogue {
  float alpha, beta;
  float* C;
  std::size_t ldc;

  template <std::size_t MR, std::size_t NV>
  DIFFUSE_ALWAYS_INLINE void store(const Batch (&acc)[MR][NV], std::size_t i, std::size_t j,
                                   std::size_t n_valid, bool first_k, bool /*last_k*/) const {
    detail::tile_store_scaled(acc, C + i * ldc + j, ldc, n_valid, alpha, first_k ? beta : 1.0f);
  }
};

// C = beta * C (beta = 0: zeros, C not read): the whole product when K = 0.
void scale_c(std::size_t M, std::size_t N, float beta, float* C, std::size_t ldc) {
  for (std::size_t i = 0; i < M; ++i) {
    float* row = C + i * ldc;
    for (std::size_t j = 0; j < N; ++j) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
  }
}

}  // namespace

void gemm(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
          float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta,
          float* C, std::size_t ldc, const Executor& executor) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if (detail::gemm_small_applies(trans_a, trans_b, M, N, K)) {
    detail::gemm_small(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, executor);
    return;
  }
  if (detail::gemm_few_rows_applies(trans_a, trans_b, M, N, K)) {
    detail::gemm_few_rows(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, executor);
    return;
  }
  if (const std::size_t rest = detail::gemm_column_tail(trans_a, trans_b, N)) {
    const std::size_t whole = N - rest;  // whole panels through the tiles, the rest separately
    if (whole > 0) gemm(trans_a, trans_b, M, whole, K, alpha, A, lda, B, ldb, beta, C, ldc, executor);
    detail::gemm_columns_transposed_a(M, rest, K, alpha, A, lda, B + whole, ldb, beta, C + whole, ldc,
                                      executor);
    return;
  }
  const detail::PackedB bp = detail::pack_b(trans_b, B, ldb, K, N, executor);
  const detail::BlockedProblem pr{trans_a, M, N, K, A, lda};
  detail::gemm_blocked(pr, bp, ScaleEpilogue{alpha, beta, C, ldc}, executor);
}

}  // namespace diffuse::kernels
