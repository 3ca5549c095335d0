#include "kernels/rowwise.hpp"

#include <xsimd/xsimd.hpp>

#include "kernels/simd_fma.hpp"

namespace diffuse::kernels {

void rows_axpby_ref(float* out, const float* a, const float* x, const float* c, const float* y,
                    std::size_t B, std::size_t D) {
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t d = 0; d < D; ++d) out[b * D + d] = a[b] * x[b * D + d] + c[b] * y[b * D + d];
  }
}

void rows_axpby(float* out, const float* a, const float* x, const float* c, const float* y,
                std::size_t B, std::size_t D) {
  using batch = xsimd::batch<float>;
  constexpr std::size_t lanes = batch::size;
  if (D < lanes) {
    // Rows narrower than a vector (2D points): the flat loop is already as fast as memory allows.
    rows_axpby_ref(out, a, x, c, y, B, D);
    return;
  }
  const std::size_t vec_end = D - D % lanes;
  for (std::size_t b = 0; b < B; ++b) {
    const batch va(a[b]), vc(c[b]);
    const float* xr = x + b * D;
    const float* yr = y + b * D;
    float* outr = out + b * D;
    std::size_t d = 0;
    for (; d < vec_end; d += lanes) {
      const batch r = detail::fma(va, batch::load_unaligned(xr + d), vc * batch::load_unaligned(yr + d));
      r.store_unaligned(outr + d);
    }
    for (; d < D; ++d) outr[d] = a[b] * xr[d] + c[b] * yr[d];
  }
}

}  // namespace diffuse::kernels
