#pragma once
// Internal to core/kernels: the in-register transpose of a lanes x lanes block, shared by gemm's
// transposing pack (gemm_pack.cpp) and the layout changes around the convolutions
// (conv2d_layout.cpp, transpose.cpp).
//
// One bit of the index at a time: the stage for bit h swaps, for every pair of rows (i, i + h)
// with bit h clear in i, the lanes with bit h set in row i with the lanes with bit h clear in row
// i + h. Each stage is two permutes and two blends per pair of rows, log2(lanes) stages in all
// (4 for AVX-512, 2 for SSE and WebAssembly).
#include <cstddef>
#include <cstdint>

#include "kernels/gemm_tile.hpp"  // first: it includes xsimd behind a warning pragma

namespace diffuse::kernels::detail {

template <unsigned H>
struct TakeLower {  // lane j reads lane j - h where bit h is set
  static constexpr unsigned get(unsigned j, unsigned) { return (j & H) ? j - H : j; }
};
template <unsigned H>
struct TakeUpper {  // lane j reads lane j + h where bit h is clear
  static constexpr unsigned get(unsigned j, unsigned) { return (j & H) ? j : j + H; }
};
template <unsigned H>
struct BitSet {
  static constexpr bool get(unsigned j, unsigned) { return (j & H) != 0; }
};

template <unsigned H>
inline void transpose_stage(Batch (&v)[lanes]) {
  using Index = xsimd::batch<std::uint32_t>;
  constexpr auto lower = xsimd::make_batch_constant<Index, TakeLower<H>>();
  constexpr auto upper = xsimd::make_batch_constant<Index, TakeUpper<H>>();
  constexpr auto high = xsimd::make_batch_bool_constant<Batch, BitSet<H>>();
  for (std::size_t i = 0; i < lanes; ++i) {
    if (i & H) continue;
    const Batch a = v[i], b = v[i + H];
    v[i] = xsimd::select(high, xsimd::swizzle(b, lower), a);
    v[i + H] = xsimd::select(high, b, xsimd::swizzle(a, upper));
  }
  if constexpr (H > 1) transpose_stage<H / 2>(v);
}

// v[k] = column k of the block whose row i starts at src + i * ld_src (lanes rows, lanes columns).
inline void load_transposed(const float* src, std::size_t ld_src, Batch (&v)[lanes]) {
  for (std::size_t i = 0; i < lanes; ++i) v[i] = Batch::load_unaligned(src + i * ld_src);
  transpose_stage<lanes / 2>(v);
}

}  // namespace diffuse::kernels::detail
