#pragma once
// Internal to core/kernels: the register-blocked micro-kernel that gemm and the fused linear
// kernels share, and the helpers around it. Not part of the public API (it names xsimd).
//
// A micro-tile is MR rows by NV vectors (NR = NV * lanes columns) of C, held in MR * NV vector
// registers while k runs over a block of K. Each k step loads NV vectors of packed op(B), broadcasts
// MR scalars of op(A) and issues MR * NV fused multiply-adds. Sizes follow the register file of the
// arch chosen at compile time:
//   AVX-512 (16 lanes, 32 zmm): 8 x 2 vectors = 8 x 32 floats, 16 accumulators;
//   AVX2    ( 8 lanes, 16 ymm): 6 x 2 vectors = 6 x 16 floats, 12 accumulators;
//   SSE4.2 and WebAssembly SIMD128 (4 lanes, 16 xmm): 4 x 2 vectors = 4 x 8 floats, 8 accumulators.
// Every accumulator is an independent chain of fma over k in increasing order, so an element of C
// gets the same bits whichever tile, task or thread computes it.
#include <cstddef>

// GCC 12 reports -W(maybe-)uninitialized inside its own AVX-512 intrinsics (the deliberately
// undefined pass-through operand of masked max, sqrt, round, convert, shift and rcp14; GCC bug
// 105593, fixed in GCC 13) wherever they are inlined. Every kernel file includes this header (before
// anything else that includes xsimd: the pragma must precede the intrinsics headers) and gets the
// false positive muted.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <xsimd/xsimd.hpp>

#include "kernels/simd_fma.hpp"

namespace diffuse::kernels::detail {

using Batch = xsimd::batch<float>;
inline constexpr std::size_t lanes = Batch::size;

inline constexpr std::size_t tile_rows = lanes >= 16 ? 8 : (lanes == 8 ? 6 : 4);  // MR
inline constexpr std::size_t tile_vectors = 2;                                    // NV
inline constexpr std::size_t tile_cols = tile_vectors * lanes;                    // NR

// Loads the first n (< lanes) floats at p into a vector, zero-filling the rest; never reads p[n..].
inline Batch load_partial(const float* p, std::size_t n) {
  alignas(64) float tmp[lanes];
  Batch(0.0f).store_aligned(tmp);  // one vector store (an `= {}` initializer becomes a memset call)
  for (std::size_t i = 0; i < n; ++i) tmp[i] = p[i];
  return Batch::load_aligned(tmp);
}

// Stores the first n (< lanes) lanes of x to p; never writes p[n..].
inline void store_partial(float* p, const Batch& x, std::size_t n) {
  alignas(64) float tmp[lanes];
  x.store_aligned(tmp);
  for (std::size_t i = 0; i < n; ++i) p[i] = tmp[i];
}

// The first n (1 .. lanes) floats at p: a whole vector, or a partial one as above.
inline Batch load_n(const float* p, std::size_t n) {
  return n == lanes ? Batch::load_unaligned(p) : load_partial(p, n);
}
inline void store_n(float* p, const Batch& x, std::size_t n) {
  if (n == lanes) {
    x.store_unaligned(p);
  } else {
    store_partial(p, x, n);
  }
}

// Valid lanes of vector v in a tile whose first n_valid columns exist (0 .. lanes).
inline std::size_t lanes_valid(std::size_t n_valid, std::size_t v) {
  const std::size_t start = v * lanes;
  if (n_valid <= start) return 0;
  return n_valid - start < lanes ? n_valid - start : lanes;
}

// acc(r, v) += sum over k < kc of op(A)(r, k) * B(k, v), k in increasing order.
// op(A)(r, k) is a[r * lda + k] (A not transposed: row r is contiguous) or a[k * lda + r]
// (A transposed, or a packed A panel with lda = MR: the MR values of one k are contiguous).
// B(k, v) is the v-th vector of row k at b + k * ldb: a packed panel (ldb = NR) or, for short
// products, op(B) itself.
template <std::size_t MR, std::size_t NV, bool a_transposed>
inline void tile_accumulate(Batch (&acc)[MR][NV], const float* a, std::size_t lda, const float* b,
                            std::size_t ldb, std::size_t kc) {
  for (std::size_t k = 0; k < kc; ++k) {
    Batch bk[NV];
    for (std::size_t v = 0; v < NV; ++v) bk[v] = Batch::load_unaligned(b + k * ldb + v * lanes);
    for (std::size_t r = 0; r < MR; ++r) {
      const Batch ar(a_transposed ? a[k * lda + r] : a[r * lda + k]);
      for (std::size_t v = 0; v < NV; ++v) acc[r][v] = detail::fma(ar, bk[v], acc[r][v]);
    }
  }
}

template <std::size_t MR, std::size_t NV>
inline void tile_zero(Batch (&acc)[MR][NV]) {
  for (std::size_t r = 0; r < MR; ++r) {
    for (std::size_t v = 0; v < NV; ++v) acc[r][v] = Batch(0.0f);
  }
}

// C tile (MR, n_valid) at c = alpha * acc + beta * C; beta = 0 never reads C. Columns past n_valid
// are neither read nor written.
template <std::size_t MR, std::size_t NV>
inline void tile_store_scaled(const Batch (&acc)[MR][NV], float* c, std::size_t ldc,
                              std::size_t n_valid, float alpha, float beta) {
  const Batch va(alpha), vb(beta);
  if (n_valid == NV * lanes) {  // a whole tile: straight-line code
    for (std::size_t r = 0; r < MR; ++r) {
      for (std::size_t v = 0; v < NV; ++v) {
        float* at = c + r * ldc + v * lanes;
        const Batch out = beta == 0.0f ? va * acc[r][v] : detail::fma(va, acc[r][v], vb * Batch::load_unaligned(at));
        out.store_unaligned(at);
      }
    }
    return;
  }
  for (std::size_t r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    for (std::size_t v = 0; v < NV; ++v) {
      const std::size_t n = lanes_valid(n_valid, v);
      if (n == lanes) {
        const Batch prior = beta == 0.0f ? Batch(0.0f) : vb * Batch::load_unaligned(row + v * lanes);
        detail::fma(va, acc[r][v], prior).store_unaligned(row + v * lanes);
      } else if (n > 0) {
        const Batch prior = beta == 0.0f ? Batch(0.0f) : vb * load_partial(row + v * lanes, n);
        store_partial(row + v * lanes, detail::fma(va, acc[r][v], prior), n);
      }
    }
  }
}

}  // namespace diffuse::kernels::detail
