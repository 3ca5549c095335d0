#include "kernels/transpose.hpp"

#include "kernels/transpose_block.hpp"

namespace diffuse::kernels {

using detail::Batch;
using detail::lanes;

void transpose(float* dst, std::size_t ld_dst, const float* src, std::size_t ld_src,
               std::size_t rows, std::size_t cols) {
  const std::size_t rows_vec = rows - rows % lanes, cols_vec = cols - cols % lanes;
  for (std::size_t i = 0; i < rows_vec; i += lanes) {
    for (std::size_t j = 0; j < cols_vec; j += lanes) {
      Batch v[lanes];
      detail::load_transposed(src + i * ld_src + j, ld_src, v);
      for (std::size_t k = 0; k < lanes; ++k) v[k].store_unaligned(dst + (j + k) * ld_dst + i);
    }
    for (std::size_t j = cols_vec; j < cols; ++j) {
      for (std::size_t r = i; r < i + lanes; ++r) dst[j * ld_dst + r] = src[r * ld_src + j];
    }
  }
  for (std::size_t i = rows_vec; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) dst[j * ld_dst + i] = src[i * ld_src + j];
  }
}

}  // namespace diffuse::kernels
