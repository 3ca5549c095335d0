// The column-tail path of gemm (gemm_small.hpp): a few columns of C = alpha A^T B + beta C, where
// row k of A (stored (K, M)) holds op(A)(:, k) contiguously, so each column of C is a sum over k
// of a row of A scaled by one element of B, vectorized along M.
#include <algorithm>
#include <array>
#include <utility>

#include "kernels/gemm_pack.hpp"
#include "kernels/gemm_small.hpp"
#include "kernels/gemm_tile.hpp"

namespace diffuse::kernels::detail {
namespace {

constexpr std::size_t max_tail = 4;

// Vectors of M per block: V * R accumulators, V loads of A and R broadcasts of B per k within the
// register file (AVX-512: 8 x 2 or 4 x 4 of 32 zmm; SSE and WebAssembly: 4 x 2 or 2 x 4 of 16).
template <std::size_t R>
constexpr std::size_t tail_vectors() {
  return R <= 2 ? (lanes >= 16 ? 8 : 4) : (lanes >= 16 ? 4 : 2);
}

// out (R, V * lanes) = sums over k of A(k, i0 ..) * B(k, c) for the V vectors of M at i0.
template <std::size_t R, std::size_t V>
void tail_block(const float* A, std::size_t lda, const float* B, std::size_t ldb, std::size_t K,
                std::size_t i0, float* out) {
  Batch acc[V][R];
  for (std::size_t v = 0; v < V; ++v) {
    for (std::size_t c = 0; c < R; ++c) acc[v][c] = Batch(0.0f);
  }
  for (std::size_t k = 0; k < K; ++k) {
    const float* a = A + k * lda + i0;
    Batch b[R];
    for (std::size_t c = 0; c < R; ++c) b[c] = Batch(B[k * ldb + c]);
    for (std::size_t v = 0; v < V; ++v) {
      const Batch av = Batch::load_unaligned(a + v * lanes);
      for (std::size_t c = 0; c < R; ++c) acc[v][c] = detail::fma(av, b[c], acc[v][c]);
    }
  }
  for (std::size_t c = 0; c < R; ++c) {
    for (std::size_t v = 0; v < V; ++v) acc[v][c].store_aligned(out + c * V * lanes + v * lanes);
  }
}

// C(i0 + i, c) = alpha out(c, i) + beta C(i0 + i, c) for i < m.
void scatter(const float* out, std::size_t stride, std::size_t R, std::size_t m, float alpha,
             float beta, float* C, std::size_t ldc, std::size_t i0) {
  for (std::size_t i = 0; i < m; ++i) {
    float* row = C + (i0 + i) * ldc;
    for (std::size_t c = 0; c < R; ++c) {
      row[c] = beta == 0.0f ? alpha * out[c * stride + i] : alpha * out[c * stride + i] + beta * row[c];
    }
  }
}

// Rows [i_begin, i_end) of the tail: blocks of V vectors, then single vectors, then scalars.
template <std::size_t R>
void tail_rows(std::size_t i_begin, std::size_t i_end, std::size_t K, float alpha, const float* A,
               std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
               std::size_t ldc) {
  constexpr std::size_t V = tail_vectors<R>(), wide = V * lanes;
  alignas(64) float out[R * wide];
  std::size_t i = i_begin;
  for (; i + wide <= i_end; i += wide) {
    tail_block<R, V>(A, lda, B, ldb, K, i, out);
    scatter(out, wide, R, wide, alpha, beta, C, ldc, i);
  }
  for (; i + lanes <= i_end; i += lanes) {
    tail_block<R, 1>(A, lda, B, ldb, K, i, out);
    scatter(out, lanes, R, lanes, alpha, beta, C, ldc, i);
  }
  for (; i < i_end; ++i) {  // the same fma chain per element, one lane at a time
    for (std::size_t c = 0; c < R; ++c) {
      float sum = 0.0f;
      for (std::size_t k = 0; k < K; ++k) sum = xsimd::fma(A[k * lda + i], B[k * ldb + c], sum);
      out[c] = sum;
    }
    scatter(out, 1, R, 1, alpha, beta, C, ldc, i);
  }
}

using TailFn = void (*)(std::size_t, std::size_t, std::size_t, float, const float*, std::size_t,
                        const float*, std::size_t, float, float*, std::size_t);

template <std::size_t... R>
constexpr std::array<TailFn, sizeof...(R)> make_tail_table(std::index_sequence<R...>) {
  return {&tail_rows<R + 1>...};
}

}  // namespace

std::size_t gemm_column_tail(Transpose trans_a, Transpose trans_b, std::size_t N) {
  if (trans_a != Transpose::yes || trans_b != Transpose::no) return 0;
  const std::size_t rest = N % tile_cols;
  return rest <= max_tail ? rest : 0;
}

void gemm_columns_transposed_a(std::size_t M, std::size_t R, std::size_t K, float alpha,
                               const float* A, std::size_t lda, const float* B, std::size_t ldb,
                               float beta, float* C, std::size_t ldc, const Executor& executor) {
  static constexpr auto table = make_tail_table(std::make_index_sequence<max_tail>{});
  const TailFn fn = table[R - 1];
  // Tasks are whole blocks of rows, so every row is computed the same way whoever runs it.
  const std::size_t block = lanes >= 16 ? 8 * lanes : 4 * lanes;
  const std::size_t blocks = ceil_div(M, block);
  const TaskGrid grid = plan_tasks(blocks, 1, executor.concurrency(), static_cast<double>(M) * R * K);
  run_tasks(executor, grid.count(), [&](std::size_t t) {
    std::size_t b0, b1;
    chunk_range(blocks, grid.count(), t, b0, b1);
    fn(b0 * block, std::min(M, b1 * block), K, alpha, A, lda, B, ldb, beta, C, ldc);
  });
}

}  // namespace diffuse::kernels::detail
