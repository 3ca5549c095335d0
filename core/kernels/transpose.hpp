#pragma once
// Matrix transpose, the layout change between channel-major planes (NCHW: (C, HW) per image) and
// pixel rows (NHWC: (HW, C)) that the convolution and attention layers need around their GEMMs:
//
//   dst(j, i) = src(i, j)     src (rows, cols) with row stride ld_src, dst (cols, rows) with ld_dst
//
// The SIMD kernel moves lanes x lanes blocks through registers (kernels/transpose_block.hpp) and
// the edges element by element; a copy, so it equals its scalar twin bit for bit. src and dst must
// not overlap.
#include <cstddef>

namespace diffuse::kernels {

void transpose(float* dst, std::size_t ld_dst, const float* src, std::size_t ld_src,
               std::size_t rows, std::size_t cols);
void transpose_ref(float* dst, std::size_t ld_dst, const float* src, std::size_t ld_src,
                   std::size_t rows, std::size_t cols);

}  // namespace diffuse::kernels
