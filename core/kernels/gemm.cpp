// The blocked GEMM (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication",
// TOMS 2008, without packing A): op(B) is packed once into panels of NR columns per block of K;
// each task owns a rectangle of C tiles and, per block of block_m rows and block of K, sweeps the
// row tiles past one panel at a time. op(A) is read in place: its rows (or, transposed, its
// columns) are broadcast straight from memory, which costs nothing extra for the shapes of a
// small MLP where A is the activations and packing it would cost as much as a layer's products.
#include "kernels/gemm.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/gemm_pack.hpp"
#include "kernels/gemm_small.hpp"
#include "kernels/gemm_tile.hpp"

namespace diffuse::kernels {
namespace {

using detail::Batch;
using detail::lanes;
using detail::tile_cols;
using detail::tile_rows;
using detail::tile_vectors;
constexpr std::size_t NV = tile_vectors;

// C tile (MR, n_valid) = alpha * acc + beta * C; beta = 0 never reads C.
template <std::size_t MR>
void store_scaled(const Batch (&acc)[MR][NV], float* c, std::size_t ldc, std::size_t n_valid,
                  float alpha, float beta) {
  const Batch va(alpha), vb(beta);
  for (std::size_t r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    for (std::size_t v = 0; v < NV; ++v) {
      const std::size_t n = detail::lanes_valid(n_valid, v);
      if (n == lanes) {
        const Batch out = beta == 0.0f ? va * acc[r][v]
                                       : xsimd::fma(va, acc[r][v], vb * Batch::load_unaligned(row + v * lanes));
        out.store_unaligned(row + v * lanes);
      } else if (n > 0) {
        const Batch out = beta == 0.0f ? va * acc[r][v]
                                       : xsimd::fma(va, acc[r][v], vb * detail::load_partial(row + v * lanes, n));
        detail::store_partial(row + v * lanes, out, n);
      }
    }
  }
}

// One micro-tile of MR rows: C = alpha * op(A) Bp + beta * C over one block of K.
template <std::size_t MR, bool a_transposed>
void tile_gemm(const float* a, std::size_t lda, const float* bp, std::size_t kc, float* c,
               std::size_t ldc, std::size_t n_valid, float alpha, float beta) {
  Batch acc[MR][NV];
  detail::tile_zero(acc);
  detail::tile_accumulate<MR, NV, a_transposed>(acc, a, lda, bp, kc);
  store_scaled(acc, c, ldc, n_valid, alpha, beta);
}

using TileFn = void (*)(const float*, std::size_t, const float*, std::size_t, float*, std::size_t,
                        std::size_t, float, float);

// tile_table<T>()[m - 1] handles a tile of m rows (the last row tile may be short).
template <bool a_transposed, std::size_t... R>
constexpr std::array<TileFn, sizeof...(R)> make_tile_table(std::index_sequence<R...>) {
  return {&tile_gemm<R + 1, a_transposed>...};
}
template <bool a_transposed>
const std::array<TileFn, tile_rows>& tile_table() {
  static constexpr auto table = make_tile_table<a_transposed>(std::make_index_sequence<tile_rows>{});
  return table;
}

struct Problem {
  Transpose trans_a;
  std::size_t M, N, K;
  float alpha;
  const float* A;
  std::size_t lda;
  float beta;
  float* C;
  std::size_t ldc;
};

// Rows [i_begin, i_end) (multiples of MR apart from M) by panels [p_begin, p_end) of C.
void compute_rectangle(const Problem& pr, const detail::PackedB& bp, std::size_t i_begin,
                       std::size_t i_end, std::size_t p_begin, std::size_t p_end) {
  const auto& table =
      pr.trans_a == Transpose::no ? tile_table<false>() : tile_table<true>();
  for (std::size_t ib = i_begin; ib < i_end; ib += detail::block_m) {
    const std::size_t ib_end = std::min(i_end, ib + detail::block_m);
    for (std::size_t k0 = 0; k0 < pr.K; k0 += detail::block_k) {
      const std::size_t kc = bp.kc(k0);
      // Later blocks of K add to what the first one stored.
      const float beta = k0 == 0 ? pr.beta : 1.0f;
      for (std::size_t p = p_begin; p < p_end; ++p) {
        const float* panel = bp.panel(k0, p);
        const std::size_t j0 = p * tile_cols;
        const std::size_t n_valid = std::min(tile_cols, pr.N - j0);
        for (std::size_t i = ib; i < ib_end; i += tile_rows) {
          const std::size_t m = std::min(tile_rows, ib_end - i);
          const float* a = pr.trans_a == Transpose::no ? pr.A + i * pr.lda + k0 : pr.A + k0 * pr.lda + i;
          table[m - 1](a, pr.lda, panel, kc, pr.C + i * pr.ldc + j0, pr.ldc, n_valid, pr.alpha, beta);
        }
      }
    }
  }
}

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
  const detail::PackedB bp = detail::pack_b(trans_b, B, ldb, K, N, executor);
  const Problem pr{trans_a, M, N, K, alpha, A, lda, beta, C, ldc};
  const std::size_t tiles_m = detail::ceil_div(M, tile_rows);
  const detail::TaskGrid grid = detail::plan_tasks(tiles_m, bp.panels, executor.concurrency());
  detail::run_tasks(executor, grid.count(), [&](std::size_t t) {
    std::size_t tm0, tm1, p0, p1;
    detail::chunk_range(tiles_m, grid.chunks_m, t / grid.chunks_n, tm0, tm1);
    detail::chunk_range(bp.panels, grid.chunks_n, t % grid.chunks_n, p0, p1);
    compute_rectangle(pr, bp, tm0 * tile_rows, std::min(M, tm1 * tile_rows), p0, p1);
  });
}

}  // namespace diffuse::kernels
