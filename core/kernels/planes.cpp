#include "kernels/planes.hpp"

#include "kernels/gemm_tile.hpp"  // first: it includes xsimd behind a warning pragma

namespace diffuse::kernels {

using detail::Batch;
using detail::lanes;

void plane_add(float* x, const float* v, std::size_t planes, std::size_t pixels) {
  for (std::size_t p = 0; p < planes; ++p) {
    float* row = x + p * pixels;
    const Batch add(v[p]);
    std::size_t i = 0;
    for (; i + lanes <= pixels; i += lanes)
      (Batch::load_unaligned(row + i) + add).store_unaligned(row + i);
    for (; i < pixels; ++i) row[i] += v[p];
  }
}

void plane_sums_accumulate(float* sums, const float* x, std::size_t planes, std::size_t pixels) {
  for (std::size_t p = 0; p < planes; ++p) {
    const float* row = x + p * pixels;
    Batch acc(0.0f);
    std::size_t i = 0;
    for (; i + lanes <= pixels; i += lanes) acc += Batch::load_unaligned(row + i);
    if (i < pixels) acc += detail::load_partial(row + i, pixels - i);
    sums[p] += xsimd::hadd(acc);
  }
}

}  // namespace diffuse::kernels
