#pragma once
// Internal to core/kernels: the blocked loop nest around the micro-kernel, generic over what
// happens to a finished tile (the epilogue), so that gemm (alpha, beta) and the fused linear layer
// (bias, activation) share it. After Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication" (TOMS 2008): op(B) is packed once into panels of NR columns per block of K; each
// task owns a rectangle of C tiles and, per block of block_m rows and block of K, sweeps the row
// tiles past one panel at a time. op(A) is read in place when its rows are contiguous (a small
// MLP's activations: packing them would cost as much as a layer's products) and packed per block
// when it is transposed.
//
// An Epilogue provides
//   template <size_t MR, size_t NV>
//   void store(const Batch (&acc)[MR][NV], size_t i, size_t j, size_t n_valid, bool first_k,
//              bool last_k) const;
// receiving the sums over one block of K for the C tile at rows i.., columns j..j+n_valid-1;
// first_k / last_k say whether the block is the first / last of K.
#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include "base/executor.hpp"
#include "kernels/gemm.hpp"
#include "kernels/gemm_pack.hpp"
#include "kernels/gemm_tile.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define DIFFUSE_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define DIFFUSE_ALWAYS_INLINE inline
#endif

namespace diffuse::kernels::detail {

struct BlockedProblem {
  Transpose trans_a;
  std::size_t M, N, K;
  const float* A;
  std::size_t lda;
};

template <class Epilogue>
using TileFn = void (*)(const float* a, std::size_t lda, const float* b, std::size_t kc,
                        const Epilogue& epi, std::size_t i, std::size_t j, std::size_t n_valid,
                        bool first_k, bool last_k);

// One tile of MR rows and NV vectors over one block of K, handed to the epilogue.
template <std::size_t MR, std::size_t NV, bool a_transposed, class Epilogue>
void tile_kernel(const float* a, std::size_t lda, const float* b, std::size_t kc,
                 const Epilogue& epi, std::size_t i, std::size_t j, std::size_t n_valid,
                 bool first_k, bool last_k) {
  Batch acc[MR][NV];
  tile_zero(acc);
  tile_accumulate<MR, NV, a_transposed>(acc, a, lda, b, NV * lanes, kc);
  epi.template store<MR, NV>(acc, i, j, n_valid, first_k, last_k);
}

// table[m - 1] runs a tile of m rows (the last row tile may be short).
template <class Epilogue, std::size_t NV, bool a_transposed, std::size_t... R>
constexpr std::array<TileFn<Epilogue>, sizeof...(R)> make_tile_row(std::index_sequence<R...>) {
  return {&tile_kernel<R + 1, NV, a_transposed, Epilogue>...};
}

template <class Epilogue, bool a_transposed>
TileFn<Epilogue> tile_fn(std::size_t nv, std::size_t m) {
  static constexpr auto one = make_tile_row<Epilogue, 1, a_transposed>(std::make_index_sequence<tile_rows>{});
  static constexpr auto full =
      make_tile_row<Epilogue, tile_vectors, a_transposed>(std::make_index_sequence<tile_rows>{});
  return nv == 1 ? one[m - 1] : full[m - 1];
}

// Rows [i_begin, i_end) (i_begin a multiple of MR) by panels [p_begin, p_end) of C.
//   A not transposed: per block of rows and of K, each panel of B (in L1) sweeps the row tiles,
//   whose rows are broadcast from A in place.
//   A transposed: each row tile is packed once per block of K (into L1) and sweeps the panels.
template <class Epilogue>
void compute_rectangle(const BlockedProblem& pr, const PackedB& bp, const Epilogue& epi,
                       std::size_t i_begin, std::size_t i_end, std::size_t p_begin,
                       std::size_t p_end) {
  for (std::size_t ib = i_begin; ib < i_end; ib += block_m) {
    const std::size_t ib_end = std::min(i_end, ib + block_m);
    for (std::size_t k0 = 0; k0 < pr.K; k0 += block_k) {
      const std::size_t kc = bp.kc(k0);
      const bool first_k = k0 == 0, last_k = k0 + kc == pr.K;
      if (pr.trans_a == Transpose::yes) {
        for (std::size_t i = ib; i < ib_end; i += tile_rows) {
          const std::size_t m = std::min(tile_rows, ib_end - i);
          const float* a = pack_a_tile_transposed(pr.A, pr.lda, i, m, k0, kc);
          for (std::size_t p = p_begin; p < p_end; ++p) {
            const std::size_t j0 = p * tile_cols;
            tile_fn<Epilogue, true>(bp.width(p) / lanes, m)(a, tile_rows, bp.panel(k0, p), kc, epi, i, j0,
                                                            std::min(tile_cols, pr.N - j0), first_k, last_k);
          }
        }
        continue;
      }
      for (std::size_t p = p_begin; p < p_end; ++p) {
        const float* panel = bp.panel(k0, p);
        const std::size_t nv = bp.width(p) / lanes;
        const std::size_t j0 = p * tile_cols;
        const std::size_t n_valid = std::min(tile_cols, pr.N - j0);
        for (std::size_t i = ib; i < ib_end; i += tile_rows) {
          const std::size_t m = std::min(tile_rows, ib_end - i);
          tile_fn<Epilogue, false>(nv, m)(pr.A + i * pr.lda + k0, pr.lda, panel, kc, epi, i, j0, n_valid,
                                          first_k, last_k);
        }
      }
    }
  }
}

// The whole product, split into tasks over rectangles of tiles.
template <class Epilogue>
void gemm_blocked(const BlockedProblem& pr, const PackedB& bp, const Epilogue& epi,
                  const Executor& executor) {
  const std::size_t tiles_m = ceil_div(pr.M, tile_rows);
  const TaskGrid grid = plan_tasks(tiles_m, bp.panels, executor.concurrency(),
                                   static_cast<double>(pr.M) * pr.N * pr.K);
  run_tasks(executor, grid.count(), [&](std::size_t t) {
    std::size_t tm0, tm1, p0, p1;
    chunk_range(tiles_m, grid.chunks_m, t / grid.chunks_n, tm0, tm1);
    chunk_range(bp.panels, grid.chunks_n, t % grid.chunks_n, p0, p1);
    compute_rectangle(pr, bp, epi, tm0 * tile_rows, std::min(pr.M, tm1 * tile_rows), p0, p1);
  });
}

}  // namespace diffuse::kernels::detail
