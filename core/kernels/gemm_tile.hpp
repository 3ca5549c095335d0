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
#include <xsimd/xsimd.hpp>

namespace diffuse::kernels::detail {

using Batch = xsimd::batch<float>;
inline constexpr std::size_t lanes = Batch::size;

inline constexpr std::size_t tile_rows = lanes >= 16 ? 8 : (lanes == 8 ? 6 : 4);  // MR
inline constexpr std::size_t tile_vectors = 2;                                    // NV
inline constexpr std::size_t tile_cols = tile_vectors * lanes;                    // NR

// Loads the first n (< lanes) floats at p into a vector, zero-filling the rest; never reads p[n..].
inline Batch load_partial(const float* p, std::size_t n) {
  alignas(64) float tmp[lanes] = {};
  for (std::size_t i = 0; i < n; ++i) tmp[i] = p[i];
  return Batch::load_aligned(tmp);
}

// Stores the first n (< lanes) lanes of x to p; never writes p[n..].
inline void store_partial(float* p, const Batch& x, std::size_t n) {
  alignas(64) float tmp[lanes];
  x.store_aligned(tmp);
  for (std::size_t i = 0; i < n; ++i) p[i] = tmp[i];
}

// Valid lanes of vector v in a tile whose first n_valid columns exist (0 .. lanes).
inline std::size_t lanes_valid(std::size_t n_valid, std::size_t v) {
  const std::size_t start = v * lanes;
  if (n_valid <= start) return 0;
  return n_valid - start < lanes ? n_valid - start : lanes;
}

// acc(r, v) += sum over k < kc of op(A)(r, k) * Bp(k, v), k in increasing order.
// op(A)(r, k) is a[r * lda + k] (A not transposed: row r is contiguous) or a[k * lda + r]
// (A transposed: the MR values of one k are contiguous). Bp is a packed panel: kc rows of NR floats,
// 64-byte aligned.
template <std::size_t MR, std::size_t NV, bool a_transposed>
inline void tile_accumulate(Batch (&acc)[MR][NV], const float* a, std::size_t lda, const float* bp,
                            std::size_t kc) {
  constexpr std::size_t nr = NV * lanes;
  for (std::size_t k = 0; k < kc; ++k) {
    Batch b[NV];
    for (std::size_t v = 0; v < NV; ++v) b[v] = Batch::load_aligned(bp + k * nr + v * lanes);
    for (std::size_t r = 0; r < MR; ++r) {
      const Batch ar(a_transposed ? a[k * lda + r] : a[r * lda + k]);
      for (std::size_t v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(ar, b[v], acc[r][v]);
    }
  }
}

template <std::size_t MR, std::size_t NV>
inline void tile_zero(Batch (&acc)[MR][NV]) {
  for (std::size_t r = 0; r < MR; ++r) {
    for (std::size_t v = 0; v < NV; ++v) acc[r][v] = Batch(0.0f);
  }
}

}  // namespace diffuse::kernels::detail
