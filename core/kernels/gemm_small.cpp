#include "kernels/gemm_small.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/gemm_pack.hpp"
#include "kernels/gemm_tile.hpp"

namespace diffuse::kernels::detail {
namespace {

// out(r, c) = sum_k a(r, k) * bt(c, k) for RG rows of A (row stride lda) and CG rows of bt
// (row stride ldbt): RG * CG vector accumulators over the vector part of K, one horizontal add
// each, then the scalar tail of K.
template <std::size_t RG, std::size_t CG>
void dot_block(const float* a, std::size_t lda, const float* bt, std::size_t ldbt, std::size_t K,
               float (&out)[RG][CG]) {
  Batch acc[RG][CG];
  for (std::size_t r = 0; r < RG; ++r) {
    for (std::size_t c = 0; c < CG; ++c) acc[r][c] = Batch(0.0f);
  }
  const std::size_t k_vec = K - K % lanes;
  for (std::size_t k = 0; k < k_vec; k += lanes) {
    Batch b[CG];
    for (std::size_t c = 0; c < CG; ++c) b[c] = Batch::load_unaligned(bt + c * ldbt + k);
    for (std::size_t r = 0; r < RG; ++r) {
      const Batch ar = Batch::load_unaligned(a + r * lda + k);
      for (std::size_t c = 0; c < CG; ++c) acc[r][c] = detail::fma(ar, b[c], acc[r][c]);
    }
  }
  for (std::size_t r = 0; r < RG; ++r) {
    for (std::size_t c = 0; c < CG; ++c) {
      float sum = xsimd::hadd(acc[r][c]);
      for (std::size_t k = k_vec; k < K; ++k) sum += a[r * lda + k] * bt[c * ldbt + k];
      out[r][c] = sum;
    }
  }
}

// C block (RG, CG) at c = alpha * dot + beta * C (beta = 0: C not read).
template <std::size_t RG, std::size_t CG>
void store_block(const float (&dot)[RG][CG], float* c, std::size_t ldc, float alpha, float beta) {
  for (std::size_t r = 0; r < RG; ++r) {
    for (std::size_t j = 0; j < CG; ++j) {
      float& out = c[r * ldc + j];
      out = beta == 0.0f ? alpha * dot[r][j] : alpha * dot[r][j] + beta * out;
    }
  }
}

template <std::size_t RG, std::size_t CG>
void dot_tile(const float* a, std::size_t lda, const float* bt, std::size_t ldbt, std::size_t K,
              float* c, std::size_t ldc, float alpha, float beta) {
  float dot[RG][CG];
  dot_block<RG, CG>(a, lda, bt, ldbt, K, dot);
  store_block<RG, CG>(dot, c, ldc, alpha, beta);
}

// Rows [i_begin, i_end) of C; bt holds op(B) transposed: (N, K) with row stride ldbt.
void dot_rows(std::size_t i_begin, std::size_t i_end, std::size_t N, std::size_t K, float alpha,
              const float* A, std::size_t lda, const float* bt, std::size_t ldbt, float beta,
              float* C, std::size_t ldc) {
  constexpr std::size_t rows = 4;
  std::size_t i = i_begin;
  for (; i + rows <= i_end; i += rows) {
    std::size_t j = 0;
    for (; j + 2 <= N; j += 2) {
      dot_tile<rows, 2>(A + i * lda, lda, bt + j * ldbt, ldbt, K, C + i * ldc + j, ldc, alpha, beta);
    }
    if (j < N) dot_tile<rows, 1>(A + i * lda, lda, bt + j * ldbt, ldbt, K, C + i * ldc + j, ldc, alpha, beta);
  }
  for (; i < i_end; ++i) {
    std::size_t j = 0;
    for (; j + 2 <= N; j += 2) {
      dot_tile<1, 2>(A + i * lda, lda, bt + j * ldbt, ldbt, K, C + i * ldc + j, ldc, alpha, beta);
    }
    if (j < N) dot_tile<1, 1>(A + i * lda, lda, bt + j * ldbt, ldbt, K, C + i * ldc + j, ldc, alpha, beta);
  }
}

// The few-rows path: MR rows of C by few_rows_vectors vectors, op(B) read in place.
constexpr std::size_t few_rows_vectors = 4;
constexpr std::size_t few_rows_cols = few_rows_vectors * lanes;
// At most half a tile of rows: 4 x 4 = 16 accumulators with AVX-512, 2 x 4 = 8 with SSE.
constexpr std::size_t few_rows_max = tile_rows / 2;

template <std::size_t MR, bool a_transposed>
void few_rows_block(const float* a, std::size_t lda, const float* b, std::size_t ldb, std::size_t K,
                    float* c, std::size_t ldc, float alpha, float beta) {
  Batch acc[MR][few_rows_vectors];
  tile_zero(acc);
  tile_accumulate<MR, few_rows_vectors, a_transposed>(acc, a, lda, b, ldb, K);
  tile_store_scaled(acc, c, ldc, few_rows_cols, alpha, beta);
}

using FewRowsFn = void (*)(const float*, std::size_t, const float*, std::size_t, std::size_t, float*,
                           std::size_t, float, float);

template <bool a_transposed, std::size_t... R>
constexpr std::array<FewRowsFn, sizeof...(R)> make_few_rows_table(std::index_sequence<R...>) {
  return {&few_rows_block<R + 1, a_transposed>...};
}

FewRowsFn few_rows_fn(bool a_transposed, std::size_t m) {
  static constexpr auto plain = make_few_rows_table<false>(std::make_index_sequence<few_rows_max>{});
  static constexpr auto transposed = make_few_rows_table<true>(std::make_index_sequence<few_rows_max>{});
  return a_transposed ? transposed[m - 1] : plain[m - 1];
}

}  // namespace

bool gemm_few_rows_applies(Transpose /*trans_a*/, Transpose trans_b, std::size_t M, std::size_t N,
                           std::size_t /*K*/) {
  return trans_b == Transpose::no && M <= few_rows_max && N >= few_rows_cols;
}

void gemm_few_rows(Transpose trans_a, Transpose trans_b, std::size_t M, std::size_t N, std::size_t K,
                   float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb,
                   float beta, float* C, std::size_t ldc, const Executor& executor) {
  // Whole blocks of few_rows_cols columns here (one task each); the rest through gemm's tiles.
  const std::size_t blocks = N / few_rows_cols;
  const FewRowsFn fn = few_rows_fn(trans_a == Transpose::yes, M);
  const TaskGrid grid = plan_tasks(blocks, 1, executor.concurrency(), static_cast<double>(M) * N * K);
  run_tasks(executor, grid.count(), [&](std::size_t t) {
    std::size_t q0, q1;
    chunk_range(blocks, grid.count(), t, q0, q1);
    for (std::size_t q = q0; q < q1; ++q) {
      const std::size_t j = q * few_rows_cols;
      fn(A, lda, B + j, ldb, K, C + j, ldc, alpha, beta);
    }
  });
  const std::size_t done = blocks * few_rows_cols;
  if (done < N) {
    gemm(trans_a, trans_b, M, N - done, K, alpha, A, lda, B + done, ldb, beta, C + done, ldc, executor);
  }
}

bool gemm_small_applies(Transpose trans_a, Transpose /*trans_b*/, std::size_t /*M*/, std::size_t N,
                        std::size_t /*K*/) {
  return trans_a == Transpose::no && N < lanes;
}

void gemm_small(Transpose /*trans_a*/, Transpose trans_b, std::size_t M, std::size_t N,
                std::size_t K, float alpha, const float* A, std::size_t lda, const float* B,
                std::size_t ldb, float beta, float* C, std::size_t ldc, const Executor& executor) {
  // Columns of op(B) as contiguous rows: B itself when transposed, else a copy (N x K is small).
  const float* bt = B;
  std::size_t ldbt = ldb;
  if (trans_b == Transpose::no) {
    float* copy = scratch(Scratch::columns, N * K);
    for (std::size_t k = 0; k < K; ++k) {
      for (std::size_t j = 0; j < N; ++j) copy[j * K + k] = B[k * ldb + j];
    }
    bt = copy;
    ldbt = K;
  }
  // Tasks are row ranges in multiples of 4 rows, so every row is computed the same way.
  const std::size_t groups = ceil_div(M, 4);
  const TaskGrid grid = plan_tasks(groups, 1, executor.concurrency(), static_cast<double>(M) * N * K);
  run_tasks(executor, grid.count(), [&](std::size_t t) {
    std::size_t g0, g1;
    chunk_range(groups, grid.count(), t, g0, g1);
    dot_rows(g0 * 4, std::min(M, g1 * 4), N, K, alpha, A, lda, bt, ldbt, beta, C, ldc);
  });
}

}  // namespace diffuse::kernels::detail
