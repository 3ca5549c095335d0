#include "kernels/transpose.hpp"

namespace diffuse::kernels {

void transpose_ref(float* dst, std::size_t ld_dst, const float* src, std::size_t ld_src,
                   std::size_t rows, std::size_t cols) {
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) dst[j * ld_dst + i] = src[i * ld_src + j];
  }
}

}  // namespace diffuse::kernels
